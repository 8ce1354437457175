"""A real memcached server on a free loopback port, started by the tests (.ci/run installs memcached)."""

from __future__ import annotations

import pytest

from profilers.memcached_server import memcached_on_loopback


@pytest.fixture(scope="session")
def memcached_server():
    try:
        with memcached_on_loopback(megabytes=256) as address:
            yield address
    except FileNotFoundError:
        pytest.skip("memcached is not installed (.ci/run installs it)")
