"""Scatter-reduce through a real memcached: every worker ends with the same average, steps never mix."""

import threading

import numpy as np
import pytest

from advisor.workloads.serverless_training.channels.memcached import MemcachedChannel
from advisor.workloads.serverless_training.sync import SyncOptions, scatter_reduce, segment_bounds


@pytest.fixture()
def channel(memcached_server):  # noqa: F811
    from pymemcache.client.base import PooledClient

    client = PooledClient(memcached_server, timeout=5, max_pool_size=16)
    client.flush_all()
    return MemcachedChannel(client)


def _in_threads(worker, workers):
    """WORKER(w) for every w at once, each in its own thread, as the workers of one step run."""
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _run(channel, gradients, step, options):
    results = [None] * len(gradients)

    def worker(w):
        results[w] = scatter_reduce(channel, "run", step, w, len(gradients), gradients[w], options)

    _in_threads(worker, len(gradients))
    return results


@pytest.mark.parametrize("options", [SyncOptions(), SyncOptions(segments=9, parallel=4),
                                     SyncOptions(segments=4, compress="float16")])
def test_every_worker_gets_the_average(channel, options):
    rng = np.random.default_rng(0)
    gradients = [rng.normal(size=300_000).astype(np.float32) for _ in range(4)]  # 1.2 MB each: split by the channel
    results = _run(channel, gradients, step=1, options=options)
    expected = np.mean(gradients, axis=0)
    tolerance = 2e-3 if options.compress == "float16" else 1e-6
    for r in results:
        assert r.shape == expected.shape and np.allclose(r, expected, atol=tolerance)
        assert np.array_equal(r, results[0])  # identical on every worker: the models stay in step


def test_steps_never_mix(channel):
    rng = np.random.default_rng(1)
    step1 = [rng.normal(size=1000).astype(np.float32) for _ in range(2)]
    step2 = [rng.normal(size=1000).astype(np.float32) for _ in range(2)]
    _run(channel, step1, 1, SyncOptions())
    second = _run(channel, step2, 2, SyncOptions())
    assert np.allclose(second[0], np.mean(step2, axis=0), atol=1e-6)


def test_a_missing_worker_times_out_instead_of_hanging(channel):
    with pytest.raises(TimeoutError):
        scatter_reduce(channel, "run", 7, 0, 2, np.ones(100, dtype=np.float32), SyncOptions(timeout_s=0.3))


def test_segments_cover_the_vector():
    assert segment_bounds(10, 3) == [(0, 4), (4, 8), (8, 10)]
    assert segment_bounds(5, 8) == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]


def test_phases_account_for_the_exchange_and_only_owners_aggregate(channel):
    """One segment: worker 0 owns it and waits for the late worker; worker 1 only writes and reads."""
    import time

    gradients = [np.full(1000, w, dtype=np.float32) for w in range(2)]
    phases = [{}, {}]
    took = [0.0, 0.0]

    def worker(w):
        began = time.perf_counter()
        if w == 1:
            time.sleep(0.2)  # the late worker: the owner's wait for its copy is measured, not spent aggregating
        scatter_reduce(channel, "phased", 1, w, 2, gradients[w], SyncOptions(segments=1), phases[w])
        took[w] = time.perf_counter() - began

    _in_threads(worker, 2)
    owner, reader = phases
    assert owner["owner_wait"] >= 0.15 and owner["aggregate"] < owner["owner_wait"]
    assert "owner_wait" not in reader and "aggregate" not in reader
    assert set(reader) == {"write", "publish", "read_wait", "decode"}
    assert sum(owner.values()) <= took[0] + 1e-6 and sum(owner.values()) >= 0.9 * took[0]


def test_work_handed_to_written_starts_after_the_workers_own_writes_and_before_its_waits(channel):
    """The next batch, with overlap, is started there: after the writes it would slow, before the waits it fills."""
    requests, seen = [], {}
    put_item, get_item = channel._put_item, channel._get_item

    def record(kind, key):  # one request at a time per worker: each is made in its worker's own thread
        requests.append((threading.current_thread().name, kind, key))

    channel._put_item = lambda key, data: (record("put", key), put_item(key, data))[1]
    channel._get_item = lambda key: (record("get", key), get_item(key))[1]
    gradients = [np.full(3000, w, dtype=np.float32) for w in range(2)]

    def worker(w):
        def written():
            seen[w] = [(kind, key) for thread, kind, key in requests if thread == threading.current_thread().name]
        scatter_reduce(channel, "hooked", 1, w, 2, gradients[w], SyncOptions(segments=4), written=written)

    _in_threads(worker, 2)
    for w in range(2):  # what each worker had done when it called written: its 4 segments out, nothing read yet
        assert seen[w] == [("put", f"hooked/step1/grad/{j}/w{w}") for j in range(4)]
