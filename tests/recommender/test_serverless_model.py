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


def test_a_store_served_by_one_process_queues_each_phases_requests():
    # W=4, S=4, A=4, p=8, bandwidth and codecs free; a request takes 2 ms, 1 ms of it the client's CPU, 3 ms of
    # the server's own: alone, a worker's 4 writes take 4 x 1 ms of CPU + one 1 ms wait; at one server, the 16
    # writes of the 4 workers queue for 16 x 3 ms
    params = ChannelParams(0.002, float("inf"), 10_000_000, client_cpu_s=0.001, server_s=0.003)
    scaled = dict(exchange(params, 4, 8_000_000, segments=4, parallel=8, shared_server=False).terms)
    queued = dict(exchange(params, 4, 8_000_000, segments=4, parallel=8, shared_server=True).terms)
    assert scaled["write"] == pytest.approx(0.005) and queued["write"] == pytest.approx(0.048)
    # an owner reads the 4 copies of its segment while the other 3 owners read theirs: 16 reads queue; it publishes
    # 1 aggregate while 3 others do; every worker reads the 4 aggregates at once
    assert queued["aggregate"] == pytest.approx(0.048) and queued["publish"] == pytest.approx(0.012)
    assert queued["read"] == pytest.approx(0.048) and scaled["publish"] == pytest.approx(0.002)


def test_item_limits_multiply_requests_and_float16_halves_bytes():
    small_items = ChannelParams(0.001, 1e9, item_limit_bytes=400_000)
    plain = exchange(small_items, 4, 4_000_000, segments=4)
    half = exchange(small_items, 4, 4_000_000, segments=4, compress="float16")
    assert plain.requests > half.requests and half.bytes_moved == plain.bytes_moved // 2
    parallel = exchange(small_items, 4, 4_000_000, segments=16, parallel=8, shared_server=False)
    serial = exchange(small_items, 4, 4_000_000, segments=16, parallel=1, shared_server=False)
    assert parallel.seconds < serial.seconds


def test_polling_misses_are_counted_where_workers_wait():
    from recommender.serverless_model import polls_within

    # pauses 5, 10, 20, 20, ... ms: reads at 0, 5, 15, 35, 55, 75, 95 ms within 100 ms
    assert polls_within(0.1, 0.005) == 7 and polls_within(0.0, 0.005) == 0
    # each read taking 10 ms: reads start at 0, 15, 35, 65 and 95 ms
    assert polls_within(0.1, 0.005, request_s=0.01) == 5
    params = ChannelParams(0.01, 100e6, item_limit_bytes=10_000_000, client_cpu_s=0.002, server_s=0.004)
    quiet = exchange(params, 4, 8_000_000, segments=1, poll_s=0.0)
    naive = exchange(params, 4, 8_000_000, segments=1, skew_s=0.05, poll_s=0.005)
    # one owner polls over the skew; three workers own nothing and poll for the aggregate while it is made
    aggregate_and_publish = (4 * 0.01 + 4 * 8e6 / 100e6) + (0.01 + 8e6 / 100e6)
    # each poll is one 10 ms read (2 ms of it the client's CPU)
    expected = polls_within(0.05, 0.005, 0.01) + 3 * polls_within(aggregate_and_publish, 0.005, 0.01)
    assert naive.misses == expected and naive.gets == quiet.gets + expected
    spread = exchange(params, 4, 8_000_000, segments=4, skew_s=0.05, poll_s=0.005)
    assert spread.misses == 4 * polls_within(0.05, 0.005, 0.01)  # everyone aggregates: only the skew is waited out
    # a shared server pays its own time for each miss
    assert naive.seconds >= naive.requests * 0.004


def test_a_real_channel_is_calibrated_and_the_parameters_survive_storage(memcached_server):  # noqa: F811
    from pymemcache.client.base import PooledClient

    from advisor.workloads.serverless_training.channels.memcached import MemcachedChannel
    from profilers.channel_probe import calibrate

    channel = MemcachedChannel(PooledClient(memcached_server, timeout=5, max_pool_size=4))
    params = calibrate(channel, small=5, large_bytes=1_500_000, repeats=1, density=0.05)
    assert set(params.codecs) == {"none", "float16", "sparse"}
    assert all(enc > 0 and dec > 0 for enc, dec in params.codecs.values())
    assert params.request_s > 0 and params.bytes_per_s > 0 and params.item_limit_bytes < 1024 * 1024
    assert params.server_s is not None and 0 <= params.server_s < params.request_s + 0.05
    assert params.server_bytes_per_s and params.server_bytes_per_s > 0
    assert ChannelParams.from_dict(params.to_dict()).to_dict() == pytest.approx(params.to_dict())


def test_a_slow_spell_during_one_timing_of_small_requests_is_outvoted(memcached_server):  # noqa: F811
    import time

    from pymemcache.client.base import PooledClient

    from advisor.workloads.serverless_training.channels.memcached import MemcachedChannel
    from profilers.channel_probe import calibrate

    class SlowAtFirst(MemcachedChannel):
        """Small requests take 20 ms longer until the first large value is put: a spell at the probe's start."""
        spell = True

        def put(self, key, value):
            self.spell = self.spell and len(value) < 100_000
            time.sleep(0.02 if self.spell else 0.0)
            return super().put(key, value)

        def get(self, key):
            time.sleep(0.02 if self.spell else 0.0)
            return super().get(key)

    channel = SlowAtFirst(PooledClient(memcached_server, timeout=5, max_pool_size=2))
    params = calibrate(channel, small=5, large_bytes=600_000, repeats=1, prefix="test-spell", min_s=0.05)
    # the spell's timing alone would give 20 ms or more a request, and as much of the store's own time
    assert params.request_s < 0.01 and params.server_s < 0.01


def test_each_phase_gets_the_bandwidth_of_its_direction_and_of_its_clients_at_once():
    # alone: puts 50 MB/s, gets 100 MB/s; with 4 clients at once each gets 20 MB/s for puts, 50 MB/s for gets
    params = ChannelParams(0.0, 75e6, 10_000_000, put_bytes_per_s=50e6, get_bytes_per_s=100e6,
                           contended=(4, 20e6, 50e6))
    assert params.seconds_per_byte("put") == pytest.approx(1 / 50e6)
    assert params.seconds_per_byte("get", 4) == pytest.approx(1 / 50e6)
    assert params.seconds_per_byte("put", 2) == pytest.approx(1 / 50e6 + (1 / 20e6 - 1 / 50e6) / 3)
    assert params.seconds_per_byte("put", 7) == pytest.approx(1 / 50e6 + 2 * (1 / 20e6 - 1 / 50e6))  # beyond: linear
    # W=4, S=1: every worker writes at once, the one owner reads the 4 copies alone, publishes alone, all 4 read
    terms = dict(exchange(params, 4, 8_000_000, segments=1, shared_server=False).terms)
    assert terms["write"] == pytest.approx(8e6 / 20e6)
    assert terms["aggregate"] == pytest.approx(4 * 8e6 / 100e6)
    assert terms["publish"] == pytest.approx(8e6 / 50e6)
    assert terms["read"] == pytest.approx(8e6 / 50e6)
    # a probe with no contended figures (one client, or stored before them) leaves every phase at the pair's speed
    assert ChannelParams(0.0, 75e6, 10_000_000).seconds_per_byte("put", 4) == pytest.approx(1 / 75e6)


def test_probes_at_once_meet_through_the_channel_and_share_their_times(memcached_server):  # noqa: F811
    from concurrent.futures import ThreadPoolExecutor

    from pymemcache.client.base import PooledClient

    from advisor.workloads.serverless_training.channels.memcached import MemcachedChannel
    from profilers.channel_probe import calibrate, contended_times

    def probe(worker: int):
        channel = MemcachedChannel(PooledClient(memcached_server, timeout=5, max_pool_size=2))
        return contended_times(channel, worker, 3, "test-contended", large_bytes=600_000, rounds=2)

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(probe, range(3)))
    assert results[0] == results[1] == results[2]  # the medians of everyone's times, as each probe read them
    clients, put_s, get_s = results[0]
    assert clients == 3 and put_s > 0 and get_s > 0
    channel = MemcachedChannel(PooledClient(memcached_server, timeout=5, max_pool_size=2))
    params = calibrate(channel, small=5, large_bytes=600_000, repeats=1, prefix="test-alone", contended=results[0])
    assert params.contended[0] == 3 and params.put_bytes_per_s > 0 and params.get_bytes_per_s > 0
    assert ChannelParams.from_dict(params.to_dict()).to_dict() == pytest.approx(params.to_dict())


def test_a_probe_stored_before_encodings_were_timed_apart_still_reads():
    # older probes timed one decode-sum-encode round trip (reduce_mb_per_s) for every encoding
    old = {"request_ms": 2.0, "mb_per_s": 100.0, "item_limit_kb": 380.0, "reduce_mb_per_s": 250.0}
    params = ChannelParams.from_dict(old)
    assert params.codec("float16") == pytest.approx((500e6, 500e6))
    assert params.codec("sparse") == pytest.approx((500e6, 500e6))


def test_segments_are_tuned_to_the_channel():
    from advisor.workloads.serverless_training.sync import OPTIMIZED
    from recommender.serverless_model import iteration, tune

    def best(params, shared):
        options, step = tune(0.05, 0.005, params, 4, 8_000_000, OPTIMIZED, shared_server=shared)
        others = [iteration(0.05, 0.005, params, 4, 8_000_000, s, OPTIMIZED.parallel, OPTIMIZED.compress,
                            OPTIMIZED.poll_s, shared).seconds for s in (1, 2, 4, 8, 16)]
        assert step.seconds == pytest.approx(min(others))
        return options.segments

    # a store whose every request is slow and served by one process: the fewest requests win
    assert best(ChannelParams(0.02, 500e6, 10_000_000, server_s=0.02), shared=True) == 1
    # a store that scales with its clients, cheap requests, small items: spreading the aggregation wins
    assert best(ChannelParams(0.001, 50e6, 400_000), shared=False) >= 4


def test_the_wire_encoding_is_chosen_by_the_gradients_density():
    from advisor.workloads.serverless_training.sync import COMPRESSIONS, OPTIMIZED
    from recommender.serverless_model import tune

    codecs = {"float16": (400e6, 800e6), "sparse": (200e6, 1000e6)}  # encode, decode: bytes of float32 per second
    params = ChannelParams(0.002, 100e6, 1_000_000, codecs=codecs)

    def chosen(density):
        return tune(0.05, 0.005, params, 4, 8_000_000, OPTIMIZED, density=density, compressions=COMPRESSIONS)

    assert chosen(0.02)[0].compress == "sparse"  # 2% non-zero: an index and a value each, 4% of the bytes
    assert chosen(1.0)[0].compress == "float16"  # dense: sparse would double the bytes
    # the encodings' CPU is on the critical path: a slower encoder makes the same exchange slower
    slow = ChannelParams(0.002, 100e6, 1_000_000, codecs={"float16": (40e6, 80e6)})
    assert (tune(0.05, 0.005, slow, 4, 8_000_000, OPTIMIZED, shared_server=False)[1].seconds
            > tune(0.05, 0.005, params, 4, 8_000_000, OPTIMIZED, shared_server=False)[1].seconds)


def test_the_aggregate_density_is_the_measured_union_and_grows_beyond_it():
    from recommender.serverless_model import Sparsity, wire_bytes

    independent = Sparsity(0.1)
    assert independent.union(4) == pytest.approx(1 - 0.9 ** 4)
    measured = Sparsity(0.1, ((2, 0.15), (4, 0.2)))  # overlapping rows: well under independence
    assert measured.union(1) == 0.1 and measured.union(2) == 0.15 and measured.union(4) == 0.2
    assert measured.union(8) == pytest.approx(1 - 0.8 ** 2)  # two independent groups of 4
    assert measured.union(3) == pytest.approx(1 - 0.85 ** 1.5)
    sent, aggregate = wire_bytes(1_000_000, "sparse", measured, 4)
    assert (sent, aggregate) == (pytest.approx(200_000), pytest.approx(400_000))
    assert wire_bytes(1_000_000, "sparse", 0.1, 4) == wire_bytes(1_000_000, "sparse", independent, 4)


def test_union_densities_of_packed_masks_by_hand():
    import numpy as np

    from advisor.workloads.serverless_training.worker import union_densities

    rows = [np.array([1, 1, 0, 0, 0, 0, 0, 0, 0, 0]), np.array([0, 1, 1, 0, 0, 0, 0, 0, 0, 0]),
            np.array([0, 0, 0, 1, 0, 0, 0, 0, 0, 0]), np.array([0, 0, 0, 1, 1, 1, 0, 0, 0, 0])]
    masks = [np.packbits(r != 0) for r in rows]
    # windows of 2: {0,1,2} and {3,4,5}; of 4: {0..5}; of 8: none
    assert union_densities(masks, 10) == {"2": pytest.approx(0.3), "4": pytest.approx(0.6)}
    assert union_densities([], 10) == {}


def test_the_last_of_several_owners_finds_the_slowest_copy_later_than_one_owner_does():
    from recommender.serverless_model import poll_overshoot

    # pauses 5, 10, 20 ms: reads at 0, 5, 15, 35 ms; a value arriving 50 ms into the wait meets a 20 ms pause
    assert poll_overshoot(0.05, 0.005) == pytest.approx(0.010)  # one waiter: half of it on average
    assert poll_overshoot(0.05, 0.005, waiters=3) == pytest.approx(0.015)  # the last of three: 3/4 of it
    params = ChannelParams(0.001, 1e9, 10_000_000)
    one = exchange(params, 4, 4_000_000, segments=1, skew_s=0.05, poll_s=0.005, shared_server=False)
    four = exchange(params, 4, 4_000_000, segments=4, skew_s=0.05, poll_s=0.005, shared_server=False)
    # with four owners the aggregates wait for the last of the three that poll for the slowest worker's segment
    assert four.poll_wait_s - poll_overshoot(0.05, 0.005, 0.001, 3) == pytest.approx(
        one.poll_wait_s - poll_overshoot(0.05, 0.005, 0.001), abs=0.006)
    assert four.poll_wait_s > one.poll_wait_s


def test_an_owner_reads_the_copies_that_came_first_while_the_slowest_worker_is_late():
    from recommender.serverless_model import expected_max_normal, iteration

    # W=4, one segment: the owner's 4 reads of 20 ms each (10 MB/s, 200 KB values); 3 of them can happen while
    # the slowest worker lags; a lag shorter than those 60 ms costs nothing beyond them, a longer one its excess
    params = ChannelParams(0.0, 10e6, 10_000_000)
    ex = exchange(params, 4, 200_000, segments=1, shared_server=False)
    assert ex.early_s == pytest.approx(0.06)
    lag = expected_max_normal(4)  # the slowest of 4 lags by this many standard deviations
    short = iteration(0.1, 0.03 / lag, params, 4, 200_000, segments=1, poll_s=0.0, shared_server=False)
    long = iteration(0.1, 0.09 / lag, params, 4, 200_000, segments=1, poll_s=0.0, shared_server=False)
    assert short.wait_s == pytest.approx(0.0, abs=1e-3) and long.wait_s == pytest.approx(0.03, abs=1e-3)


def test_a_poll_finds_a_value_half_a_pause_after_it_arrives():
    from recommender.serverless_model import poll_overshoot

    # pauses 5, 10, 20, 20 ms: a value 3 ms into the wait is found at 5 ms, one 12 ms in at 15 ms, late ones 20 apart
    assert poll_overshoot(0.003, 0.005) == pytest.approx(0.0025)
    assert poll_overshoot(0.012, 0.005) == pytest.approx(0.005)
    assert poll_overshoot(1.0, 0.005) == pytest.approx(0.010)
    assert poll_overshoot(1.0, 0.0) == 0.0
    assert poll_overshoot(1.0, 0.005, request_s=0.01) == pytest.approx(0.015)  # a read and a pause apart


def test_overlap_hides_the_batch_preparation_at_most_for_the_exchange_after_the_writes():
    from recommender.serverless_model import iteration

    params = ChannelParams(0.01, 100e6, item_limit_bytes=10_000_000)
    plain = iteration(0.08, 0.0, params, 4, 8_000_000, segments=4, poll_s=0.0, shared_server=False)
    hidden = iteration(0.08, 0.0, params, 4, 8_000_000, segments=4, poll_s=0.0, shared_server=False, prepare_s=0.02)
    assert hidden.compute_s == pytest.approx(0.06) and hidden.seconds == pytest.approx(plain.seconds - 0.02)
    longer = iteration(0.08, 0.0, params, 4, 8_000_000, segments=4, poll_s=0.0, shared_server=False, prepare_s=10.0)
    write = dict(plain.exchange.terms)["write"]  # the batch is started once the worker's writes are out
    assert longer.compute_s == pytest.approx(0.08 - (plain.exchange_s - write))  # only for the rest of the exchange
    alone = iteration(0.08, 0.0, params, 1, 8_000_000, prepare_s=0.02)
    assert alone.seconds == 0.08  # one worker has no exchange to hide it behind


def test_a_naive_exchange_timed_in_a_slice_gives_back_the_bandwidths_that_made_it():
    from recommender.serverless_model import fit_bandwidths

    # by hand: no latency, no encoding cost; W=4, S=1: the write puts with 4 clients at once, the owner gets the 4
    # copies alone, publishes alone, and all 4 get the aggregate at once
    probe = ChannelParams(0.0, 75e6, 10_000_000)
    fitted = fit_bandwidths(probe, 4, 8_000_000, {"write": 0.4, "aggregate": 0.32, "publish": 0.16, "read": 0.16})
    assert fitted == pytest.approx({"run_put_mb_per_s": 50.0, "run_get_mb_per_s": 100.0, "run_contended_clients": 4.0,
                                    "run_contended_put_mb_per_s": 20.0, "run_contended_get_mb_per_s": 50.0})
    # with requests, client CPU and encodings: the terms of known bandwidths fit back to them, and from_dict puts
    # the slice's figures in place of the probe's
    made = ChannelParams(0.002, 75e6, 1_000_000, 0.0005, codecs={"none": (2e9, 1e9)}, put_bytes_per_s=80e6,
                         get_bytes_per_s=160e6, contended=(4, 30e6, 60e6))
    probed = dict(made.to_dict(), put_mb_per_s=999.0, contended_put_mb_per_s=999.0)
    for shared in (False, True):  # with its requests queued at one server, or not: as the terms were made
        terms = dict(exchange(made, 4, 5_000_000, segments=1, shared_server=shared).terms)
        fitted = fit_bandwidths(made, 4, 5_000_000, terms, shared_server=shared)
        calibrated = ChannelParams.from_dict(dict(probed, **fitted))
        assert (calibrated.put_bytes_per_s, calibrated.get_bytes_per_s) == pytest.approx((80e6, 160e6))
        assert calibrated.contended == pytest.approx((4, 30e6, 60e6))
    # the queue's share of a phase is not taken for slow bytes
    assert fit_bandwidths(made, 4, 5_000_000, terms, shared_server=False)["run_contended_put_mb_per_s"] < 30
    # a term no slower than its requests and CPU work gives no bandwidth: the probe's figures stay
    assert fit_bandwidths(made, 4, 5_000_000, dict(terms, read=0.001)) == {}


def test_an_exchange_slices_kept_steps_fit_to_the_same_bandwidths_again():
    from recommender.serverless_fit import fit_exchange

    # the hand example above as 4 workers' timed steps: worker 0 owns the one segment; 50 ms outside every exchange.
    # The owner waits 10 ms more for the others' copies than its reads take: they found the last aggregate half a
    # poll interval late (after 480 ms of polling the pauses are 4 x 5 ms), which is the model's wait, not its term
    owner = {"write": 400.0, "owner_wait": 10.0, "aggregate": 320.0, "publish": 160.0, "read_wait": 160.0,
             "decode": 0.0}
    other = {"write": 400.0, "read_wait": 650.0, "decode": 0.0}
    steps = [{"step_ms": [50.0 + sum(p.values())] * 3, "exchange_ms": [sum(p.values())] * 3, "batch_ms": [5.0] * 3,
              "phase_ms": [p] * 3} for p in (owner, other, other, other)]
    probed = dict(ChannelParams(0.0, 75e6, 10_000_000).to_dict(), run_put_mb_per_s=1.0, run_get_mb_per_s=1.0)
    outside, fitted = fit_exchange(steps, 8_000_000, probed, shared_server=False)  # no server's queue by hand
    assert outside == [[50.0] * 3] * 4
    # the probed run_ figures (an earlier fit, as a saved slice holds them) play no part in the new one; the server's
    # figures are the probe's (no time of its own per request; its bandwidth, the client's), not scaled
    assert fitted == pytest.approx({"run_put_mb_per_s": 50.0, "run_get_mb_per_s": 100.0, "run_contended_clients": 4.0,
                                    "run_contended_put_mb_per_s": 20.0, "run_contended_get_mb_per_s": 50.0,
                                    "run_server_ms": 0.0, "run_server_mb_per_s": 75.0})


def test_which_channels_are_served_by_one_process(monkeypatch):
    from profilers.serverless_slices import served_by_one_process

    monkeypatch.delenv("ADVISOR_AWS_ENDPOINT_URL", raising=False)
    assert served_by_one_process({"kind": "memcached", "host": "127.0.0.1", "port": 11211})  # a cache node
    assert not served_by_one_process({"kind": "s3", "bucket": "grads"})  # AWS's stores scale with their clients
    monkeypatch.setenv("ADVISOR_AWS_ENDPOINT_URL", "http://127.0.0.1:5000")  # an AWS-compatible server: one process
    assert served_by_one_process({"kind": "dynamodb", "table": "grads"})


def test_a_few_slow_steps_of_a_slice_set_neither_its_compute_nor_its_spread():
    from recommender.serverless_fit import step_estimate

    steady = [40.0, 44.0, 36.0, 42.0, 38.0, 40.0, 46.0, 34.0] * 2  # ms: deviations 0-6 ms, their median 3 ms
    assert step_estimate(steady) == pytest.approx((40.0, 1.4826 * 3.0))
    # two steps of 16 at 4x: the mean moves by 15.6 ms and the standard deviation from 3.7 to 41 ms; these do not
    assert step_estimate(steady[:-2] + [160.0, 170.0]) == pytest.approx((40.0, 1.4826 * 3.0))


def test_a_store_served_by_one_process_works_through_the_exchanges_waits():
    from recommender.serverless_model import expected_max_normal, iteration

    # the one server moves 100 MB/s: the exchange's 13 MB take it 130 ms, besides 3 ms for each of its 13 requests,
    # far more than the critical path of one segment; while the slowest worker is late, the server is busy with the
    # others' requests, so a lag shorter than the queue's slack costs nothing, a longer one what it leaves over
    params = ChannelParams(0.002, float("inf"), 10_000_000, client_cpu_s=0.001, server_s=0.003,
                           server_bytes_per_s=100e6)
    ex = exchange(params, 4, 1_000_000, segments=1, parallel=8, shared_server=True)
    critical = sum(seconds for _, seconds in ex.terms)
    assert ex.serial_s == pytest.approx(13 * 0.003 + 0.13) and ex.seconds == ex.serial_s > critical + 0.1
    early = ex.early_s  # the owner reads the copies that came first while the slowest worker is late

    def step(lag_s):
        return iteration(0.1, lag_s / expected_max_normal(4), params, 4, 1_000_000, segments=1, parallel=8,
                         poll_s=0.0)

    medium, long = step(0.05), step(0.3)
    assert critical + 0.05 - early < ex.serial_s and medium.seconds == pytest.approx(0.1 + ex.serial_s)
    assert medium.wait_s == pytest.approx(0.0)
    assert long.seconds == pytest.approx(0.1 + critical + 0.3 - early)
    assert long.wait_s == pytest.approx(critical + 0.3 - early - ex.serial_s)


def test_a_naive_slice_is_predicted_from_its_own_fit_as_it_was_timed():
    from profilers.serverless_slices import NAIVE
    from recommender.serverless_fit import fit_exchange
    from recommender.serverless_model import iteration

    # 4 workers, steps 50 ms outside a naive exchange; worker 0 owns the segment, and its owner_wait holds the
    # others' late start (polling overshoot): the model's prediction for the naive options, from the slice's fit,
    # is the slice's own step, whether the probed server's queue would bound the exchange or not
    owner = {"write": 60.0, "owner_wait": 30.0, "aggregate": 40.0, "publish": 30.0, "read_wait": 25.0, "decode": 2.0}
    other = {"write": 60.0, "read_wait": 127.0, "decode": 2.0}
    exchange_ms = sum(owner.values())
    steps = [{"step_ms": [50.0 + exchange_ms] * 4, "exchange_ms": [exchange_ms] * 4, "batch_ms": [5.0] * 4,
              "phase_ms": [p] * 4} for p in (owner, other, other, other)]
    for server_ms, server_bytes_per_s, bound in ((0.2, 2e9, "critical path"), (2.0, 200e6, "shared channel")):
        probed = ChannelParams(0.002, 75e6, 10_000_000, 0.0005, server_ms / 1000, server_bytes_per_s,
                               {"none": (2e9, 1e9)}).to_dict()
        outside, fitted = fit_exchange(steps, 4_000_000, probed, shared_server=True)
        # the probe's server figures stay where its queue fits in the exchange the slice timed
        assert (fitted["run_server_ms"] < server_ms) == (bound == "shared channel")
        params = ChannelParams.from_dict(dict(probed, **fitted))
        # the queue at the probe's server figures, with the slice's bandwidths: longer than the exchange, or not
        as_probed = ChannelParams.from_dict(dict(probed, **dict(fitted, run_server_ms=server_ms,
                                                                run_server_mb_per_s=server_bytes_per_s / 1e6)))
        queue_s = exchange(as_probed, 4, 4_000_000, segments=1, poll_s=NAIVE.poll_s).serial_s
        assert (queue_s > exchange_ms / 1000) == (bound == "shared channel")
        step = iteration(0.05, 0.0, params, 4, 4_000_000, segments=1, poll_s=NAIVE.poll_s)
        assert step.seconds == pytest.approx((50.0 + exchange_ms) / 1000, rel=0.01)
        if bound == "shared channel":  # scaled down to the exchange the slice timed, no further
            assert step.exchange.serial_s == pytest.approx(exchange_ms / 1000, rel=0.01)
