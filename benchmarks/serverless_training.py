"""Serverless training, naive against optimized, on each real channel: the whole step, not just the exchange.

4 worker processes train the NCF recommender at a size whose gradient is 5.2 MB, each under the local backend's
CPU-share emulation of a Lambda (memory chosen so the workers' shares fit this machine's cores), exchanging
gradients through S3 and DynamoDB (moto's server on loopback, which enforces DynamoDB's 400 KB item) and Memcached
(a real server, default 1 MB items).
naive: the whole gradient as one value, one aggregator, one request at a time (DynamoDB: the fewest items that fit,
one request each). The optimized runtime: 8 requests in flight, DynamoDB batch writes and reads, the next batch
prepared during the exchange, and the number of segments and the wire encoding that the model predicts fastest:
float16 (lossy) or sparse (the indices and float32 values of the non-zero entries: lossless, and a batch touches few
embedding rows). Both encodings are run, each with its tuned segments; the model's pick is marked.

The analytical model (recommender/serverless_model.py) is calibrated by a short training slice taken right before
each run: the workers' compute under the same CPU share, a probe of the channel from inside it, and 4 steps of the
naive exchange, whose phases give the bandwidths the run's workers get and whose time outside the exchange gives a
step's compute (so the naive row is predicted from a slice of itself; the optimized rows test the model's transfer
to other segments, encodings and requests in flight). The segments and the encoding are chosen from the first slice
of each channel and repeat. Its prediction is printed beside each measurement. Every run has its own name and empty
stores. Cost per epoch is at the dated us-east-1 prices for an epoch of 1,000,000 interactions. Loopback servers
have no network latency: absolute times are what this machine gives, not AWS. A second table splits each step into
the exchange's phases beside the model's terms.

    python benchmarks/serverless_training.py [--workers 4] [--steps 10] [--repeats 3] [--save runs.json]
    python benchmarks/serverless_training.py --replay runs.json   # a saved run's measurements, re-predicted
    python benchmarks/serverless_training.py --replay runs.json --without contended_,put_,get_   # as if not probed

--save keeps every run's slice, options and measurements (each worker's per-step phases too); --replay prints the
tables again from them with the model as the code now has it, which is how a change to the model is checked
against measurements already taken (and then confirmed by a fresh run: a model tuned to one run proves little).
benchmarks/runs/ keeps the saved runs the README quotes, named by the commit they were made at.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Any
from dataclasses import asdict, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advisor.core import costs, prices  # noqa: E402
from advisor.workloads import WorkloadSpec  # noqa: E402
from profilers.serverless_slices import NAIVE, lambda_share, run_local, training_slice  # noqa: E402
from recommender.serverless_fit import fit_exchange, phase_means, step_estimate  # noqa: E402
from advisor.workloads.serverless_training.sync import COMPRESSIONS, OPTIMIZED, SyncOptions  # noqa: E402
from advisor.workloads.serverless_training.worker import gradient_bytes  # noqa: E402
from recommender import serverless_model  # noqa: E402
from recommender.training import channel_unit_prices  # noqa: E402

LARGE = WorkloadSpec("ncf-large-benchmark", "training", "benchmark size", users=20_000, items=20_000,
                     embedding_dim=32, hidden=(128, 64))
EPOCH_SAMPLES = 1_000_000
MODES = {"naive": NAIVE,
         **{compress: replace(OPTIMIZED, compress=compress) for compress in COMPRESSIONS}}
WARMUP_STEPS = 2  # the first steps trace the model; they are not an iteration's time


def start_servers():
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise

    from tests.support.servers import free_port

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


def reset_channels(endpoint: str, mc_port: int) -> None:
    """Empty stores for every run: moto's state reset, memcached flushed (a value left by an earlier run under
    the same key would be read as this run's: a benchmark that reused run names measured stale aggregates)."""
    import boto3
    from pymemcache.client.base import Client

    Client(("127.0.0.1", mc_port), timeout=5).flush_all(noreply=False)

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


def slice_inputs(name: str, probe: dict) -> tuple[float, float, Any, Any, float]:
    """The model's inputs from PROBE (a training slice): a step's compute and its spread (step_estimate), the
    channel's parameters, the gradient's sparsity and the mean time a step prepares its batch."""
    # a step's compute: outside the exchange of the slice's naive exchange where it had one, else without one
    outside = probe.get("exchange_outside_ms", {}).get(name)
    compute = ([ms for per_worker in outside for ms in per_worker] if outside else
               [ms for per_worker in probe["step_ms"] for ms in per_worker[WARMUP_STEPS:]])
    batch = [ms for per_worker in probe["batch_ms"] for ms in per_worker[WARMUP_STEPS:]]
    params = serverless_model.ChannelParams.from_dict(probe["channel_params"][name])
    density = serverless_model.Sparsity(statistics.fmean(probe["nonzero"]),
                                        tuple((int(w), u) for w, u in probe["union_nonzero"].items()))
    step_ms, spread_ms = step_estimate(compute)
    return step_ms / 1000, spread_ms / 1000, params, density, statistics.fmean(batch) / 1000


def predictions(name: str, probe: dict, workers: int, grad: int) -> dict[str, tuple[SyncOptions, Any]]:
    """For every mode, its options (segments tuned to the channel by the model where MODES leaves them open, as the
    training recommendation does) and the model's iteration for them, from PROBE (this repeat's slice), made
    before anything is measured."""
    compute_s, compute_sd_s, params, density, prepare_s = slice_inputs(name, probe)
    planned = {}
    for mode, options in MODES.items():
        if options.segments is None:
            planned[mode] = serverless_model.tune(compute_s, compute_sd_s, params, workers, grad, options,
                                                  density=density, prepare_s=prepare_s)
        else:
            planned[mode] = (options, predict(name, probe, workers, grad, options))
    return planned


def predict(name: str, probe: dict, workers: int, grad: int, options: SyncOptions) -> Any:
    """The model's iteration for OPTIONS, from PROBE."""
    compute_s, compute_sd_s, params, density, prepare_s = slice_inputs(name, probe)
    return serverless_model.iteration(compute_s, compute_sd_s, params, workers, grad, options.segments,
                                      options.parallel, options.compress, options.poll_s, density=density,
                                      prepare_s=prepare_s if options.overlap else 0.0)


def measure(run: str, name: str, options: SyncOptions, predicted: Any, spec: dict, workers: int, steps: int,
            memory_mb: int, table, endpoint: str, mc_port: int) -> dict:
    """RUN (a name used once) with OPTIONS on channel NAME, beside the model's PREDICTED iteration for it."""
    reset_channels(endpoint, mc_port)
    with tempfile.TemporaryDirectory() as ckpt:
        results = run_local(run, LARGE, workers, steps, spec, ckpt, memory_mb, options)
    measured = statistics.median(statistics.fmean(r["step_ms"][WARMUP_STEPS:]) for r in results) / 1000
    exchanged = statistics.median(statistics.fmean(r["exchange_ms"][WARMUP_STEPS:]) for r in results) / 1000
    # the CPU each worker used over its timed steps, per second: above its share, the emulation did not hold
    used = statistics.median(sum(r["cpu_ms"][WARMUP_STEPS:]) / sum(r["step_ms"][WARMUP_STEPS:]) for r in results)
    usage = {k: sum(r["usage"][k] for r in results) / steps for k in results[0]["usage"]}
    iterations = serverless_model.iterations_per_epoch(EPOCH_SAMPLES, workers, LARGE.batch_size)
    request_usd, node_usd_per_hour = channel_usd(name, usage, measured, table)
    epoch = costs.training_on_lambda(workers, memory_mb, measured * iterations * 1000, 1,
                                     table.usd("lambda.x86_64.gb_second"), table.usd("lambda.request"),
                                     request_usd * iterations, node_usd_per_hour)
    per_worker = [{k: r[k] for k in ("worker", "step_ms", "exchange_ms", "batch_ms", "phase_ms")} for r in results]
    return {"measured": measured, "exchanged": exchanged, "predicted": predicted, "usage": usage,
            "usd_epoch": epoch.usd_total, "method": results[0]["method"], "segments": options.segments,
            "compress": options.compress, "cpu_used": used, "per_worker": per_worker}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3, help="rounds of every mode, interleaved (medians kept)")
    parser.add_argument("--channels", default="s3,dynamodb,memcached")
    parser.add_argument("--save", metavar="PATH", help="write every run's slice, options and measurements as JSON "
                        "(gzipped if PATH ends in .gz)")
    parser.add_argument("--replay", metavar="PATH", help="no runs: re-predict a --save file's runs and print them")
    parser.add_argument("--without", metavar="PREFIXES", default="",
                        help="with --replay: drop the slice's channel figures whose names start with these "
                             "(comma-separated; run_: the naive exchange's bandwidths), to see what the model "
                             "predicts without them")
    args = parser.parse_args()
    grad = gradient_bytes(LARGE)
    if args.replay:
        return replay(args.replay, grad, tuple(filter(None, args.without.split(","))))
    workers = args.workers
    # the workers' CPU shares take 70% of the cores: the rest is left to the channel servers and the OS
    memory_mb = int(1769 * 0.7 * (os.cpu_count() or 1) / workers)
    table = prices.load("us-east-1")
    moto, endpoint, memcached, mc_port = start_servers()
    os.environ.update(ADVISOR_AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                      ADVISOR_REGION="us-east-1")
    names, modes = args.channels.split(","), list(MODES)
    runs: dict[tuple[str, str], list[dict]] = {(n, m): [] for n in names for m in modes}
    try:
        for repeat in range(args.repeats):
            for name in names:
                planned, picked = None, None
                # rotate the order each repeat, so no mode always runs first (on a cold server) or last
                for mode in modes[repeat % len(modes):] + modes[:repeat % len(modes)]:
                    # a slice right before each run: this machine's speed drifts by tens of percent over minutes
                    reset_channels(endpoint, mc_port)
                    with tempfile.TemporaryDirectory() as ckpt:
                        probe = training_slice(LARGE, WARMUP_STEPS + 6, ckpt, lambda_share(memory_mb),
                                               {name: channel_spec(name, "probe", mc_port)}, workers, WARMUP_STEPS)
                    if planned is None:  # segments and the encoding are chosen once, before anything is measured
                        planned = predictions(name, probe, workers, grad)
                        picked = min(COMPRESSIONS, key=lambda compress: planned[compress][1].seconds)
                    options = planned[mode][0]
                    run = measure(f"bench-{name}-{mode}-{repeat}", name, options,
                                  predict(name, probe, workers, grad, options), channel_spec(name, mode, mc_port),
                                  workers, args.steps, memory_mb, table, endpoint, mc_port)
                    runs[(name, mode)].append(dict(run, picked=mode == picked, probe=probe, options=options))
                    print(f"... repeat {repeat + 1}/{args.repeats} {name} {mode}: {run['measured']:.3f} s/iteration "
                          f"(predicted {run['predicted'].seconds:.3f}), CPU used {run['cpu_used']:.2f} of "
                          f"{lambda_share(memory_mb):.2f}; probe {probe['channel_params'][name]}",
                          file=sys.stderr, flush=True)
    finally:
        moto.stop()
        memcached.terminate()
        if args.save:
            kept = {k: v for k, v in vars(args).items() if k not in ("save", "replay", "without")}  # the run's own
            save(args.save, runs, kept, workers, memory_mb)
    report(runs, names, modes, workers, memory_mb, grad, args)


def save(path: str, runs: dict, args: dict, workers: int, memory_mb: int) -> None:
    """RUNS as JSON, without the model's predictions (a replay makes them again, with the model of its time)."""
    rows = [dict({k: v for k, v in run.items() if k != "predicted"}, channel=name, mode=mode,
                 options=asdict(run["options"]))
            for (name, mode), rows in runs.items() for run in rows]
    text = json.dumps({"args": args, "workers": workers, "memory_mb": memory_mb, "runs": rows})
    Path(path).write_bytes(gzip.compress(text.encode()) if path.endswith(".gz") else text.encode())
    print(f"saved {len(rows)} runs to {path}", file=sys.stderr)


def replay(path: str, grad: int, without: tuple[str, ...] = ()) -> None:
    """The tables of a --save file, each run re-predicted from its own slice by the model as the code has it now
    (the options, segments included, stay those the run was made with; the bandwidths fitted anew to the slice's
    naive exchange where its steps were kept), the probe's figures named WITHOUT (by prefix) left out: the model
    falls back to what it did before the probe measured them."""
    data = Path(path).read_bytes()
    saved = json.loads(gzip.decompress(data) if path.endswith(".gz") else data)
    workers, runs = saved["workers"], {}
    for row in saved["runs"]:
        for name, steps in row["probe"].get("exchange_steps", {}).items():  # newer slices keep them: fitted anew
            params = row["probe"]["channel_params"][name]
            row["probe"]["exchange_outside_ms"][name], fitted = fit_exchange(steps, grad, params)
            params.update(fitted)
        for params in row["probe"]["channel_params"].values():
            for key in [k for k in params if k.startswith(without)]:  # an empty WITHOUT matches no key
                del params[key]
        options = SyncOptions(**row["options"])
        runs.setdefault((row["channel"], row["mode"]), []).append(
            dict(row, options=options, predicted=predict(row["channel"], row["probe"], workers, grad, options)))
    names = list(dict.fromkeys(name for name, _ in runs))
    modes = list(dict.fromkeys(mode for _, mode in runs))
    print(f"(replay of {path}: measurements as saved, predictions by the model as the code now has it"
          f"{', without the probe figures ' + ', '.join(w + '*' for w in without) if without else ''})")
    report(runs, names, modes, workers, saved["memory_mb"], grad, argparse.Namespace(**saved["args"]))


def median_prediction(rows: list[dict]) -> Any:
    """The model's iteration whose time is the median of ROWS' predictions: one repeat's, whole, so that its
    parts (compute, exchange, terms) belong together."""
    return sorted(rows, key=lambda r: r["predicted"].seconds)[len(rows) // 2]["predicted"]


def report(runs: dict, names: list[str], modes: list[str], workers: int, memory_mb: int, grad: int, args) -> None:
    """The table: medians over the repeats; speed-ups as ratios of medians, with the range of the per-repeat
    ratios (each from runs made minutes apart)."""
    def median(key, rows):
        return statistics.median(key(r) for r in rows)

    method = next(iter(runs.values()))[0]["method"]
    print(f"Serverless training: {workers} worker processes, Lambda {memory_mb} MB emulated on this machine "
          f"({method}), gradient {grad / 1e6:.1f} MB (float32), batch {LARGE.batch_size}, {args.steps} steps "
          f"(first {WARMUP_STEPS} not timed), loopback servers; medians of {args.repeats} interleaved repeats; "
          f"epoch = {EPOCH_SAMPLES:,} interactions = "
          f"{serverless_model.iterations_per_epoch(EPOCH_SAMPLES, workers, LARGE.batch_size)} iterations")
    def run_error(rows):  # each run against the prediction from the slice taken right before it: their median
        return statistics.median((r["predicted"].seconds - r["measured"]) / r["measured"] for r in rows)

    print(f"{'channel':<10} {'mode':<10} {'pick':>4} {'segs':>4} {'s/iter':>7} {'range':>11} {'predicted':>9} "
          f"{'error':>6} {'per-run':>7} {'exchange':>8} {'(pred.)':>7} {'compute':>7} {'requests':>8} {'(pred.)':>7} "
          f"{'MB/iter':>7} {'(pred.)':>7} {'USD/epoch':>10} {'speed-up':>8} {'range':>11}")
    for name in names:
        naive = runs[(name, "naive")]
        for mode in modes:
            rows = runs[(name, mode)]
            measured = median(lambda r: r["measured"], rows)
            predicted = median(lambda r: r["predicted"].seconds, rows)
            pred = median_prediction(rows)
            ratios = [n["measured"] / r["measured"] for n, r in zip(naive, rows)]
            moved = median(lambda r: r["usage"]["bytes_written"] + r["usage"]["bytes_read"], rows) / 1e6
            requests = median(lambda r: r["usage"]["puts"] + r["usage"]["gets"], rows)
            spread = f"{min(r['measured'] for r in rows):.3f}-{max(r['measured'] for r in rows):.3f}"
            segments = "/".join(str(n) for n in sorted({r["segments"] for r in rows}))
            picked = "" if mode == "naive" else f"{sum(r['picked'] for r in rows)}/{len(rows)}"
            print(f"{name:<10} {mode:<10} {picked:>4} {segments:>4} {measured:>7.3f} {spread:>11} {predicted:>9.3f} "
                  f"{(predicted - measured) / measured:>+6.0%} {run_error(rows):>+7.0%} "
                  f"{median(lambda r: r['exchanged'], rows):>8.3f} "
                  f"{pred.exchange_s + pred.wait_s:>7.3f} {pred.compute_s:>7.3f} {requests:>8.0f} "
                  f"{pred.exchange.requests:>7d} {moved:>7.1f} {pred.exchange.bytes_moved / 1e6:>7.1f} "
                  f"{median(lambda r: r['usd_epoch'], rows):>10.4f} "
                  f"{median(lambda r: r['measured'], naive) / measured:>7.2f}x "
                  f"{min(ratios):>5.2f}-{max(ratios):.2f}x")
    errors = [abs(median(lambda r: r["predicted"].seconds, rows) - median(lambda r: r["measured"], rows))
              / median(lambda r: r["measured"], rows) for rows in runs.values()]
    per_run = [abs(run_error(rows)) for rows in runs.values()]
    single = [abs(r["predicted"].seconds - r["measured"]) / r["measured"] for rows in runs.values() for r in rows]
    print(f"model error: of the medians, max |error| {max(errors):.0%}, {sum(e <= 0.15 for e in errors)} of "
          f"{len(errors)} rows within 15%; per run (median of each row's runs, each against its own slice's "
          f"prediction), max {max(per_run):.0%}, {sum(e <= 0.15 for e in per_run)} of {len(per_run)} rows within 15%; "
          f"single runs: {sum(e <= 0.15 for e in single)} of {len(single)} within 15%, median |error| "
          f"{statistics.median(single):.0%}")
    factors = []
    for name in names:
        naive = runs[(name, "naive")]
        chosen = [next(runs[(name, m)][k] for m in modes if runs[(name, m)][k]["picked"]) for k in range(len(naive))]
        ratios = [n["measured"] / c["measured"] for n, c in zip(naive, chosen)]
        single = [(c["predicted"].seconds - c["measured"]) / c["measured"] for c in chosen]
        factors += [max(c["predicted"].seconds / c["measured"], c["measured"] / c["predicted"].seconds) for c in chosen]
        print(f"optimized runtime on {name} (the model's pick each repeat: {'/'.join(c['compress'] for c in chosen)}): "
              f"{statistics.median(ratios):.2f}x naive (per repeat {min(ratios):.2f}-{max(ratios):.2f}x); "
              f"error of each repeat's prediction {' '.join(f'{e:+.0%}' for e in single)}")
    # what one slice's prediction can miss by: the training recommendation's interval (recommender/training.py)
    print(f"the model's pick, predicted from one slice: within a factor {max(factors):.2f} of measured in every repeat")
    used = [r["cpu_used"] for rows in runs.values() for r in rows]
    print(f"CPU used by a worker over its timed steps (median of the workers): {min(used):.2f} to {max(used):.2f} "
          f"vCPU per run, the emulated share being {lambda_share(memory_mb):.2f}")
    print_phases(runs, names, modes)
    print("float16, sparse: the optimized runtime with that wire encoding; pick: repeats in which the model "
          "predicted this encoding fastest (what the optimized runtime and the training recommendation use); "
          "segs: segments per gradient, tuned to the channel by the model each repeat; "
          "s/iter: median over the repeats (range: min-max); predicted: median of the repeats' predictions, each "
          "from the slice taken right before its run; error: of the medians; per-run: the median of each run's error "
          "against its own prediction; exchange: measured per step (waits included) beside the model's exchange + "
          "wait; compute: the model's, from the slice; requests and MB: measured per iteration, all workers "
          "(polling misses included), beside the model's count; speed-up: naive's median over this mode's "
          "(range: per-repeat ratios)")


def print_phases(runs: dict, names: list[str], modes: list[str]) -> None:
    """Where a step went, measured, beside the model's terms (in brackets): medians over the repeats, ms."""
    print("where a step goes, ms (medians of the repeats; [the model's term]): outside the exchange, mean over the "
          "workers (of it, the batch) [compute] | the segment owners' phases: write [write] | owner_wait, aggregate "
          "[aggregate] | publish [publish] | read_wait, decode [read] | [skew + polling wait]")
    # each run's phases against its own prediction's terms: how far the parts miss, whatever the total does
    timed_as = serverless_model.TERM_PHASES
    misses: dict[str, list[float]] = {term: [] for term in timed_as}
    for name in names:
        for mode in modes:
            rows = runs[(name, mode)]
            means = [phase_means(r["per_worker"], WARMUP_STEPS) for r in rows]
            for run, measured in zip(rows, means):
                predicted = dict(run["predicted"].exchange.terms)
                for term, phases in timed_as.items():
                    phase_s, term_s = sum(measured[p] for p in phases) / 1000, predicted[term]
                    if phase_s > 0 and term_s > 0:
                        misses[term].append(max(phase_s / term_s, term_s / phase_s))

            def ms(phase: str) -> float:
                return statistics.median(m[phase] for m in means)

            pred = median_prediction(rows)
            term = {k: 1000 * v for k, v in pred.exchange.terms}
            print(f"{name:<10} {mode:<8} {ms('outside'):6.1f} ({ms('batch'):5.1f}) [{1000 * pred.compute_s:6.1f}] | "
                  f"{ms('write'):6.1f} [{term['write']:6.1f}] | {ms('owner_wait'):6.1f} {ms('aggregate'):6.1f} "
                  f"[{term['aggregate']:6.1f}] | {ms('publish'):6.1f} [{term['publish']:6.1f}] | "
                  f"{ms('read_wait'):6.1f} {ms('decode'):6.1f} [{term['read']:6.1f}] | [{1000 * pred.wait_s:6.1f}]")
    print("each term against its run's phases, the median factor by which it missed over every run: "
          + ", ".join(f"{term} {statistics.median(f):.2f}x" for term, f in misses.items() if f))


if __name__ == "__main__":
    main()
