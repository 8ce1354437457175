"""The exchange model's arithmetic against a hand computation."""

import pytest

from recommender.serverless_model import ChannelParams, exchange


def test_critical_path_by_hand():
    # W=2, G=8 MB, S=2, A=2, p=1, L=10 MB (one request per segment), l=10 ms, B=100 MB/s, no shared server
    params = ChannelParams(request_s=0.01, bytes_per_s=100e6, item_limit_bytes=10_000_000)
    result = exchange(params, workers=2, gradient_bytes=8_000_000, shared_server=False)
    write_own = 2 * 0.01 + 0.08
    aggregate = 2 * 0.01 + 2 * 8e6 / (2 * 100e6)
    publish = 1 * 0.01 + 8e6 / (2 * 100e6)
    read_all = 2 * 0.01 + 0.08
    assert result.seconds == pytest.approx(write_own + aggregate + publish + read_all)
    assert result.bound == "critical path"


def test_item_limits_multiply_requests_and_float16_halves_bytes():
    small_items = ChannelParams(0.001, 1e9, item_limit_bytes=400_000)
    plain = exchange(small_items, 4, 4_000_000, segments=4)
    half = exchange(small_items, 4, 4_000_000, segments=4, compress="float16")
    assert plain.requests > half.requests and half.bytes_moved == plain.bytes_moved // 2
    parallel = exchange(small_items, 4, 4_000_000, segments=16, parallel=8, shared_server=False)
    serial = exchange(small_items, 4, 4_000_000, segments=16, parallel=1, shared_server=False)
    assert parallel.seconds < serial.seconds
