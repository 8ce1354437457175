"""Serverless training, naive against optimized, on each real channel: the whole step, not just the exchange.

4 worker processes train the NCF recommender at a size whose gradient is 5.2 MB, each under the local backend's
CPU-share emulation of a Lambda (memory chosen so the workers' shares fit this machine's cores), exchanging
gradients through S3 and DynamoDB (moto's server on loopback, which enforces DynamoDB's 400 KB item) and Memcached
(a real server, default 1 MB items).
naive: the whole gradient as one value, one aggregator, one request at a time (DynamoDB: the fewest items that fit,
one request each). optimized: one segment per worker spread over all aggregators, 8 requests in flight, float16 on
the wire, DynamoDB batch writes and reads, the next batch prepared during the exchange. sparse: the same, but each
segment sent as the indices and float32 values of its non-zero entries (lossless: a batch touches few embedding
rows), instead of float16.

The analytical model (recommender/serverless_model.py) is calibrated by one short training slice per channel: one
worker's compute under the same CPU share and a probe of the channel from inside it. Its prediction is printed
beside each measurement. Cost per epoch is at the dated us-east-1 prices for an epoch of 1,000,000 interactions.
Loopback servers have no network latency: absolute times are what this machine gives, not what AWS gives.

    python benchmarks/serverless_training.py [--workers 4] [--steps 8]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advisor import costs, prices  # noqa: E402
from advisor.workloads import WorkloadSpec  # noqa: E402
from advisor.workloads.serverless_training.local import lambda_share, run_local, training_slice  # noqa: E402
from advisor.workloads.serverless_training.sync import OPTIMIZED, SyncOptions  # noqa: E402
from advisor.workloads.serverless_training.worker import gradient_bytes  # noqa: E402
from recommender import serverless_model  # noqa: E402
from recommender.training import channel_unit_prices  # noqa: E402

LARGE = WorkloadSpec("ncf-large-benchmark", "training", "benchmark size", users=20_000, items=20_000,
                     embedding_dim=32, hidden=(128, 64))
EPOCH_SAMPLES = 1_000_000
MODES = {"naive": SyncOptions(segments=1, parallel=1),
         "optimized": OPTIMIZED,  # what the training recommendation predicts
         "sparse": replace(OPTIMIZED, compress="sparse")}
WARMUP_STEPS = 2  # the first steps trace the model; they are not an iteration's time


def start_servers():
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise

    from tests.servers import free_port

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    mc_port = free_port()
    args = [shutil.which("memcached") or "memcached", "-l", "127.0.0.1", "-p", str(mc_port), "-U", "0", "-m", "1024"]
    if os.geteuid() == 0:
        args += ["-u", "root"]
    memcached = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    return moto, f"http://{host}:{port}", memcached, mc_port


def reset_channels(endpoint: str) -> None:
    import boto3

    urllib.request.urlopen(urllib.request.Request(endpoint + "/moto-api/reset", method="POST")).read()
    kw = dict(endpoint_url=endpoint, region_name="us-east-1")
    boto3.client("s3", **kw).create_bucket(Bucket="grads")
    boto3.client("dynamodb", **kw).create_table(
        TableName="grads", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")


def channel_spec(name: str, mode: str, mc_port: int) -> dict:
    return {"s3": {"kind": "s3", "bucket": "grads", "prefix": f"{mode}"},
            "dynamodb": {"kind": "dynamodb", "table": "grads", "batched": mode != "naive"},
            "memcached": {"kind": "memcached", "host": "127.0.0.1", "port": mc_port}}[name]


def channel_usd(name: str, usage: dict, seconds: float, table) -> tuple[float, float]:
    """(USD of the channel's requests, USD per hour of its nodes) for USAGE over SECONDS."""
    return costs.channel_usd(name, usage["puts"], usage["gets"], usage["write_units"], usage["read_units"],
                             **channel_unit_prices(table)), 0.0 if name != "memcached" else \
        table.usd("elasticache.cache.t3.medium")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--channels", default="s3,dynamodb,memcached")
    args = parser.parse_args()
    workers = args.workers
    # the workers' CPU shares take 70% of the cores: the rest is left to the channel servers and the OS
    memory_mb = int(1769 * 0.7 * (os.cpu_count() or 1) / workers)
    grad = gradient_bytes(LARGE)
    table = prices.load("us-east-1")
    moto, endpoint, memcached, mc_port = start_servers()
    os.environ.update(ADVISOR_AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                      ADVISOR_REGION="us-east-1")
    rows = []
    try:
        for name in args.channels.split(","):
            for mode, options in MODES.items():
                reset_channels(endpoint)
                spec = channel_spec(name, mode, mc_port)
                with tempfile.TemporaryDirectory() as ckpt:
                    probe = training_slice(LARGE, WARMUP_STEPS + 6, ckpt, lambda_share(memory_mb), {name: spec},
                                           workers)
                    compute = [ms for steps in probe["step_ms"] for ms in steps[WARMUP_STEPS:]]
                    params = serverless_model.ChannelParams.from_dict(probe["channel_params"][name])
                    reset_channels(endpoint)
                    results = run_local(f"bench-{name}-{mode}", LARGE, workers, args.steps, spec, ckpt, memory_mb,
                                        options)
                measured = statistics.median(statistics.fmean(r["step_ms"][WARMUP_STEPS:]) for r in results) / 1000
                exchanged = statistics.median(statistics.fmean(r["exchange_ms"][WARMUP_STEPS:]) for r in results) / 1000
                usage = {k: sum(r["usage"][k] for r in results) / args.steps for k in results[0]["usage"]}
                predicted = serverless_model.iteration(
                    statistics.fmean(compute) / 1000, statistics.pstdev(compute) / 1000, params, workers, grad,
                    options.segments, options.parallel, options.compress, options.poll_s,
                    density=statistics.fmean(probe["nonzero"]))
                iterations = serverless_model.iterations_per_epoch(EPOCH_SAMPLES, workers, LARGE.batch_size)
                request_usd, node_usd_per_hour = channel_usd(name, usage, measured, table)
                epoch = costs.training_on_lambda(workers, memory_mb, measured * iterations * 1000, 1,
                                                 table.usd("lambda.x86_64.gb_second"), table.usd("lambda.request"),
                                                 request_usd * iterations, node_usd_per_hour)
                rows.append((name, mode, measured, predicted, usage, epoch, results[0]["method"], exchanged))
                print(f"... {name} {mode}: {measured:.3f} s/iteration; probe {params.to_dict()}", file=sys.stderr,
                      flush=True)
    finally:
        moto.stop()
        memcached.terminate()
    method = rows[0][6]
    print(f"Serverless training: {workers} worker processes, Lambda {memory_mb} MB emulated on this machine "
          f"({method}), gradient {grad / 1e6:.1f} MB (float32), batch {LARGE.batch_size}, {args.steps} steps "
          f"(first {WARMUP_STEPS} not timed), loopback servers; epoch = {EPOCH_SAMPLES:,} interactions = "
          f"{serverless_model.iterations_per_epoch(EPOCH_SAMPLES, workers, LARGE.batch_size)} iterations")
    print(f"{'channel':<10} {'mode':<10} {'s/iter':>7} {'predicted':>9} {'error':>6} {'exchange':>8} {'(pred.)':>7} "
          f"{'compute':>7} {'requests':>8} {'(pred.)':>7} {'MB/iter':>7} {'(pred.)':>7} {'USD/epoch':>10} "
          f"{'speed-up':>8}")
    naive = {r[0]: r[2] for r in rows if r[1] == "naive"}
    for name, mode, measured, pred, usage, epoch, _, exchanged in rows:
        moved = (usage["bytes_written"] + usage["bytes_read"]) / 1e6
        print(f"{name:<10} {mode:<10} {measured:>7.3f} {pred.seconds:>9.3f} {(pred.seconds - measured) / measured:>+6.0%} "
              f"{exchanged:>8.3f} {pred.exchange_s + pred.wait_s:>7.3f} {pred.compute_s:>7.3f} "
              f"{usage['puts'] + usage['gets']:>8.0f} "
              f"{pred.exchange.requests:>7d} {moved:>7.1f} {pred.exchange.bytes_moved / 1e6:>7.1f} "
              f"{epoch.usd_total:>10.4f} {naive.get(name, measured) / measured:>7.2f}x")
    print("exchange: measured per step (waits included) beside the model's exchange + wait; compute: the model's, "
          "from the slice; requests and MB: measured per iteration, all workers (polling misses included), beside "
          "the model's count")


if __name__ == "__main__":
    main()
