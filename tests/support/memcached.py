"""A real memcached server on a free loopback port, started by the tests (.ci/run installs memcached)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest

from tests.support.servers import free_port


@pytest.fixture(scope="session")
def memcached_server():
    binary = shutil.which("memcached")
    if binary is None:
        pytest.skip("memcached is not installed (.ci/run installs it)")
    port = free_port()
    args = [binary, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", "256"]  # default item size: -I 1m
    if os.geteuid() == 0:
        args += ["-u", "root"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("memcached did not start: " + proc.stderr.read().decode())
            time.sleep(0.05)
    yield ("127.0.0.1", port)
    proc.terminate()
    proc.wait(timeout=10)
