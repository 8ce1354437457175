"""A Memcached server on a free loopback port, for local training runs that were given no channel address and for
the tests: started, waited for, and stopped afterwards."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from typing import Iterator


@contextlib.contextmanager
def memcached_on_loopback(megabytes: int = 256, start_timeout_s: float = 10.0) -> Iterator[tuple[str, int]]:
    """(host, port) of a running memcached with MEGABYTES of memory and its default item size (1 MB); stopped on
    exit. FileNotFoundError when memcached is not installed, RuntimeError when it does not start."""
    binary = shutil.which("memcached")
    if binary is None:
        raise FileNotFoundError("memcached is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = [binary, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-m", str(megabytes)]
    if os.geteuid() == 0:
        args += ["-u", "root"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + start_timeout_s
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("memcached did not start: " + proc.stderr.read().decode()[-300:]) from None
                time.sleep(0.05)
        yield ("127.0.0.1", port)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
