"""Gradient exchange for serverless training: naive against optimized, on each real channel.

W workers (threads here) average a gradient of the size of a large NCF recommender through S3 and DynamoDB (moto's
server on loopback, which enforces DynamoDB's 400 KB item) and Memcached (a real server, default 1 MB items).
naive: the whole gradient as one value, one aggregator, one request at a time (where the item limit forbids one
object, the fewest items that fit, still one request at a time). optimized: 4 segments per worker spread over all
aggregators, 8 requests in flight, float16 on the wire, DynamoDB batch writes and reads.

This measures the exchange only (no model compute); loopback servers have no network latency, so absolute times
are lower bounds of what AWS gives, and the ratios are what carries over. Prints a table.

    python benchmarks/serverless_training.py [--workers 4] [--iterations 3]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advisor import prices  # noqa: E402
from advisor.workloads import WorkloadSpec  # noqa: E402
from advisor.workloads.serverless_training.sync import SyncOptions, scatter_reduce  # noqa: E402
from advisor.workloads.serverless_training.worker import gradient_bytes  # noqa: E402
from recommender.serverless_model import calibrate, exchange as predict_exchange  # noqa: E402

LARGE = WorkloadSpec("ncf-large-benchmark", "training", "benchmark size", users=20_000, items=20_000,
                     embedding_dim=32, hidden=(128, 64))
MODES = {"naive": SyncOptions(segments=1, parallel=1),
         "optimized": SyncOptions(segments=None, parallel=8, compress="float16")}


def start_servers():
    from moto.server import ThreadedMotoServer

    from tests.servers import free_port

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    mc_port = free_port()
    args = [shutil.which("memcached") or "memcached", "-l", "127.0.0.1", "-p", str(mc_port), "-U", "0", "-m", "512"]
    import os

    if os.geteuid() == 0:
        args += ["-u", "root"]
    memcached = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    return moto, f"http://{host}:{port}", memcached, ("127.0.0.1", mc_port)


def channels(endpoint: str, memcached_addr, mode: str):
    import boto3
    from pymemcache.client.base import PooledClient

    from advisor.workloads.serverless_training.channels.dynamodb import DynamoDBChannel
    from advisor.workloads.serverless_training.channels.memcached import MemcachedChannel
    from advisor.workloads.serverless_training.channels.s3 import S3Channel

    kw = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench")
    urllib.request.urlopen(urllib.request.Request(endpoint + "/moto-api/reset", method="POST")).read()
    s3, ddb = boto3.client("s3", **kw), boto3.client("dynamodb", **kw)
    s3.create_bucket(Bucket="grads")
    ddb.create_table(TableName="grads", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    pool = PooledClient(memcached_addr, timeout=10, max_pool_size=64)
    pool.flush_all()
    return {"s3": S3Channel("grads", "bench", s3), "dynamodb": DynamoDBChannel("grads", ddb, batched=mode != "naive"),
            "memcached": MemcachedChannel(pool)}


def exchange(channel, workers: int, iterations: int, options: SyncOptions, size: int) -> float:
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=size).astype(np.float32) for _ in range(workers)]
    times = []
    for it in range(iterations):
        barrier = threading.Barrier(workers)
        spans = [0.0] * workers

        def worker(w):
            barrier.wait()
            start = time.perf_counter()
            scatter_reduce(channel, f"bench-{id(options)}", it, w, workers, grads[w], options)
            spans[w] = time.perf_counter() - start

        threads = [threading.Thread(target=worker, args=(w,)) for w in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        times.append(max(spans))
    return sum(times) / len(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--iterations", type=int, default=3)
    args = parser.parse_args()
    size = gradient_bytes(LARGE) // 4
    table = prices.load("us-east-1")
    moto, endpoint, memcached, addr = start_servers()
    try:
        rows = {}
        for mode, options in MODES.items():
            for name, channel in channels(endpoint, addr, mode).items():
                params = calibrate(channel)
                channel.usage = type(channel.usage)()  # count the exchange only, not the probe
                predicted = predict_exchange(params, args.workers, size * 4, options.segments, options.parallel,
                                             options.compress).seconds
                seconds = exchange(channel, args.workers, args.iterations, options, size)
                usage = channel.usage.snapshot()
                per = {k: v / args.iterations for k, v in usage.items()}
                if name == "s3":
                    usd = per["puts"] * table.usd("s3.put_request") + per["gets"] * table.usd("s3.get_request")
                elif name == "dynamodb":
                    usd = per["write_units"] * table.usd("dynamodb.write_unit") + per["read_units"] * table.usd(
                        "dynamodb.read_unit")
                else:
                    usd = seconds / 3600 * table.usd("elasticache.cache.t3.medium")  # the node, for that time
                rows[(name, mode)] = (seconds, per, usd, predicted)
        print(f"Gradient exchange: {args.workers} workers, gradient {size * 4 / 1e6:.1f} MB (float32), "
              f"{args.iterations} iterations each, loopback servers")
        print(f"{'channel':<10} {'mode':<10} {'s/iteration':>12} {'predicted':>10} {'error':>7} {'requests':>9} "
              f"{'MB moved':>9} {'USD/iteration':>14} {'speed-up':>9}")
        for name in ("s3", "dynamodb", "memcached"):
            for mode in MODES:
                seconds, per, usd, predicted = rows[(name, mode)]
                requests = per["puts"] + per["gets"]
                moved = (per["bytes_written"] + per["bytes_read"]) / 1e6
                speedup = rows[(name, "naive")][0] / seconds
                error = (predicted - seconds) / seconds
                print(f"{name:<10} {mode:<10} {seconds:>12.3f} {predicted:>10.3f} {error:>+7.0%} {requests:>9.0f} "
                      f"{moved:>9.1f} {usd:>14.6f} {speedup:>8.2f}x")
    finally:
        moto.stop()
        memcached.terminate()


if __name__ == "__main__":
    main()
