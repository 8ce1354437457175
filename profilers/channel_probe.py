"""Probing a channel from inside a worker's CPU share: what `serverless_model.ChannelParams` holds, measured, not
assumed. Latency and the client's CPU per request, large puts and gets (one client, and several at once), the
store's own time per request and per byte, and the speed of each wire encoding on the worker's CPU."""

from __future__ import annotations

import math
import os
import statistics
import time
from typing import Any

from recommender.serverless_model import CODECS, ChannelParams


def cpu_share(seconds: float = 0.5) -> float:
    """The CPU this process gets (a Lambda's share, a cgroup quota): CPU time over wall time of a busy loop."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    while time.perf_counter() - wall0 < seconds:
        sum(range(2000))
    return min(1.0, (time.process_time() - cpu0) / (time.perf_counter() - wall0))


# Single-item requests timed for the store's bandwidth, the median kept: with 5, six probes under a 0.35-vCPU share
# spread 4.2x on S3 and 1.9x on DynamoDB (moto); with 15, 2.1x and 1.3x, for about 3 s more per probe.
SERVER_ITEM_ROUNDS = 15
QUOTA_REST_S = 0.12  # longer than a CFS quota period (100 ms): after it, a CPU quota has refilled
LARGE_ROUNDS = 5  # large puts and gets timed, each after a rest, the median kept


def calibrate(channel: Any, small: int = 20, large_bytes: int = 4_000_000, repeats: int = 2,
              prefix: str = "probe", density: float = 1.0, min_s: float = 0.3,
              contended: tuple[int, float, float] | None = None) -> ChannelParams:
    """Time small puts and gets (latency, and how much of it is the client's CPU) and large ones (bandwidth) on
    CHANNEL, one client, from inside the CPU share the workers will have; and each wire encoding of a gradient of
    DENSITY (the fraction of non-zero entries, which a sparse encoding's cost follows). The small requests (three
    times, spread over the probe) and the encodings run for MIN_S or more (at least SMALL pairs), so that a CPU
    quota's average is seen, not a burst.
    Large puts and gets (LARGE_ROUNDS, at least REPEATS) are timed apart (a store that hashes what it is given puts
    slower than it gets), each after a rest, as a run's workers make them after waiting for each other: back to
    back, a 0.35-vCPU client moved 4 MB values through memcached and S3 up to 1.4x slower than after a rest
    (benchmarks/channel_pace.py), and a run's workers moved theirs faster still (README). CONTENDED, from
    `contended_times` with the same LARGE_BYTES, becomes each client's bandwidth with that many at once."""
    share = cpu_share()

    def small_requests() -> tuple[float, float, float]:
        return _small_requests(channel, f"{prefix}/small", small, min_s, share)
    # small requests are timed at the probe's start, middle and end, the median of each figure kept: in two of
    # 2db0ee6's three S3 sparse slices a spell of seconds made them 18 ms a request against 11 in the third (the
    # encodings' speed, timed in the same probe, was normal), and the model took the store for a queue twice as
    # slow as the run found it
    smalls = [small_requests()]
    payload = os.urandom(large_bytes)
    parts = math.ceil(large_bytes / channel.item_limit_bytes)
    rounds = [(_rested(lambda: channel.put(f"{prefix}/large/{i}", payload)),
               _rested(lambda: channel.get(f"{prefix}/large/{i}"))) for i in range(max(repeats, LARGE_ROUNDS))]
    put_s, get_s = (statistics.median(times) for times in zip(*rounds))
    smalls.append(small_requests())
    # the store's own bandwidth from a put and a get (a store may hash what it is given) of a value of one item, at
    # most 1 MB, the request time taken off: a single request whose client work fits in one CPU-quota period, since
    # a throttled client's stall would otherwise be counted as the store's (a 4 MB DynamoDB put halved it)
    item = payload[:max(1, min(channel.item_limit_bytes - 64, 1_000_000))]
    server_item_s = (_server_time(lambda: channel.put(f"{prefix}/item", item), burst=1, rounds=SERVER_ITEM_ROUNDS)
                     + _server_time(lambda: channel.get(f"{prefix}/item"), burst=1, rounds=SERVER_ITEM_ROUNDS))
    codecs = {c: codec_throughput(large_bytes, c, density, min_s) for c in CODECS}
    smalls.append(small_requests())
    request_s, client_s, server_s = (statistics.median(figures) for figures in zip(*smalls))
    server_bytes_s = 2 * len(item) / max(server_item_s - 2 * server_s, len(item) / 1e10)

    def bandwidth(seconds: float, values: int) -> float:  # bytes per second, each request's latency taken off
        return values * large_bytes / max(seconds - values * parts * request_s, 1e-6)
    loaded = None if contended is None else (contended[0], bandwidth(contended[1], 1), bandwidth(contended[2], 1))
    return ChannelParams(request_s, bandwidth(put_s + get_s, 2), channel.item_limit_bytes, client_s, server_s,
                         server_bytes_s, codecs, bandwidth(put_s, 1), bandwidth(get_s, 1), loaded)


def contended_times(channel: Any, worker: int, clients: int, prefix: str, large_bytes: int = 4_000_000,
                    rounds: int = 3) -> tuple[int, float, float]:
    """(CLIENTS, seconds of one put, of one get) of a LARGE_BYTES value while CLIENTS probes do the same at once,
    as a run's workers write their gradients at once and read the aggregates at once. Each probe (WORKER of
    them) puts ROUNDS values, meets the others through the channel, gets them, and shares its times; every
    probe returns the medians over all of them, each one's first round left out (its start is not in step).
    Each request follows a rest, as in `calibrate`, so that the two differ by the clients at once only."""
    import json

    from advisor.workloads.serverless_training.sync import SyncOptions, wait_all

    def meet(stage: str, note: bytes = b"-") -> list[bytes]:
        channel.put(f"{prefix}/{stage}/{worker}", note)
        found = wait_all(channel, [f"{prefix}/{stage}/{w}" for w in range(clients)], SyncOptions(poll_s=0.01))
        return [found[f"{prefix}/{stage}/{w}"] for w in range(clients)]

    payload = os.urandom(large_bytes)
    meet("start")
    puts = [_rested(lambda: channel.put(f"{prefix}/{worker}/{i}", payload)) for i in range(rounds)]
    meet("put")
    gets = [_rested(lambda: channel.get(f"{prefix}/{worker}/{i}")) for i in range(rounds)]
    shared = [json.loads(note) for note in meet("got", json.dumps([puts[1:], gets[1:]]).encode())]
    return (clients, statistics.median(t for p, _ in shared for t in p),
            statistics.median(t for _, g in shared for t in g))


def _small_requests(channel: Any, prefix: str, small: int, min_s: float, share: float) -> tuple[float, float, float]:
    """(latency, the client's CPU per request at SHARE, the store's own time per request) of 256-byte puts and gets
    on CHANNEL, made for MIN_S or more (at least SMALL pairs) so that a CPU quota's average is seen, not a burst."""
    pairs, start, cpu = 0, time.perf_counter(), time.process_time()
    while pairs < small or time.perf_counter() - start < min_s:
        channel.put(f"{prefix}/{pairs}", b"x" * 256)
        channel.get(f"{prefix}/{pairs}")
        pairs += 1
    request_s = (time.perf_counter() - start) / (2 * pairs)
    client_s = min(request_s, (time.process_time() - cpu) / (2 * pairs) / max(share, 1e-3))
    return request_s, client_s, _server_time(lambda: channel.get(f"{prefix}/0"), rounds=9)


def _rested(request: Any) -> float:
    """Seconds REQUEST (a callable) takes, made after a rest."""
    time.sleep(QUOTA_REST_S)
    start = time.perf_counter()
    request()
    return time.perf_counter() - start


def _server_time(request: Any, burst: int = 4, rounds: int = 3) -> float:
    """The store's own time per REQUEST (a callable): wall minus CPU of a few made right after a rest, when a CPU
    quota (a Lambda's, the local emulation's) has refilled and does not stretch the client. Under load this is
    the time the store's requests queue behind each other, which one throttled client's latency hides."""
    samples = []
    for _ in range(rounds):
        time.sleep(QUOTA_REST_S)
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(burst):
            request()
        samples.append(((time.perf_counter() - start) - (time.process_time() - cpu)) / burst)
    return max(0.0, sorted(samples)[len(samples) // 2])


def codec_throughput(nbytes: int, compress: str, density: float = 1.0, min_s: float = 0.3) -> tuple[float, float]:
    """(encode, decode-and-sum) speed of COMPRESS on this CPU, in float32 gradient bytes per second, timed on the
    exchange's own functions with a gradient of DENSITY: the worker's CPU work in scatter-reduce besides requests.
    Each is repeated for MIN_S, several CPU-quota periods, so that a quota's average share, not a burst, is seen."""
    import numpy as np

    from advisor.workloads.serverless_training.sync import decode, encode

    rng = np.random.default_rng(0)
    values = rng.normal(size=nbytes // 4).astype(np.float32)
    values[rng.random(values.size) >= density] = 0.0
    data = encode(values, compress)

    def rate(work: Any) -> float:
        count, start = 0, time.perf_counter()
        while count == 0 or time.perf_counter() - start < min_s:
            work()
            count += 1
        return count * nbytes / (time.perf_counter() - start)

    return rate(lambda: encode(values, compress)), rate(lambda: values + decode(data, compress, values.size))
