"""How fast a worker under a Lambda's CPU share moves large values through each channel: puts and gets apart,
back to back against each after a rest of one CPU-quota period, by one client and by four at once. The channel
probe (profilers/channel_probe.py) times large requests after a rest and with the workers at once; this is the
side-by-side measurement behind that choice. Local emulation of the share on this machine, loopback servers.

    python benchmarks/channel_pace.py [--clients 4] [--rounds 6] [--mb 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from profilers.channel_probe import QUOTA_REST_S  # noqa: E402  (the probe's rest, measured here against none)


def client(spec: dict, start_at: float, rounds: int, nbytes: int, tag: str) -> dict[str, list[float]]:
    """One client's seconds per put and per get, back to back and after a rest, from START_AT (all clients at once)."""
    from advisor.workloads.serverless_training.handler import make_channel

    channel, payload, times = make_channel(spec), os.urandom(nbytes), {}
    while time.time() < start_at:
        time.sleep(0.005)
    for label, rest in (("back to back", 0.0), ("after a rest", QUOTA_REST_S)):
        for direction in ("put", "get"):
            samples = []
            for i in range(rounds):
                time.sleep(rest)
                key = f"{tag}/{i}"
                started = time.perf_counter()
                channel.put(key, payload) if direction == "put" else channel.get(key)
                samples.append(time.perf_counter() - started)
            times[f"{label} {direction}"] = samples[1:]  # the first of each: connections, allocations
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--mb", type=float, default=4.0)
    parser.add_argument("--memory-mb", type=int, default=619, help="the Lambda size whose CPU share is emulated")
    args = parser.parse_args()

    from advisor.backends.local import CpuLimiter, remove_group
    from profilers.serverless_slices import lambda_share
    from benchmarks.serverless_training import channel_spec, reset_channels, start_servers

    share, nbytes = lambda_share(args.memory_mb), int(args.mb * 1e6)
    moto, endpoint, memcached, mc_port = start_servers()
    os.environ.update(ADVISOR_AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                      ADVISOR_REGION="us-east-1")
    limiter = CpuLimiter()
    print(f"Large values ({args.mb:g} MB) under the CPU share of a {args.memory_mb} MB Lambda ({share:.2f} vCPU, "
          f"emulated on this machine: {limiter.method}), loopback servers; MB/s per client, median of "
          f"{args.rounds - 1} requests of each client (the first left out)")
    print(f"{'channel':<10} {'clients':>7} {'put, back to back':>17} {'put, rested':>11} "
          f"{'get, back to back':>17} {'get, rested':>11}")
    try:
        for name in ("s3", "dynamodb", "memcached"):
            for clients in (1, args.clients):
                reset_channels(endpoint, mc_port)
                start_at = time.time() + 3  # every client starts at once, after its imports
                job = [json.dumps(channel_spec(name, "pace", mc_port)), str(start_at), str(args.rounds), str(nbytes)]
                procs = [subprocess.Popen([sys.executable, __file__, "--client", *job, f"c{k}"],
                                          stdout=subprocess.PIPE, text=True) for k in range(clients)]
                groups = [limiter.apply(proc.pid, share) for proc in procs]
                results = [json.loads(proc.communicate()[0].strip().splitlines()[-1]) for proc in procs]
                for group in groups:
                    remove_group(group)

                def rate(key: str) -> str:
                    return f"{args.mb / statistics.median(t for r in results for t in r[key]):.0f}"

                print(f"{name:<10} {clients:>7} {rate('back to back put'):>17} {rate('after a rest put'):>11} "
                      f"{rate('back to back get'):>17} {rate('after a rest get'):>11}", flush=True)
    finally:
        moto.stop()
        memcached.terminate()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--client"]:
        spec, start_at, rounds, nbytes, tag = sys.argv[2:7]
        print(json.dumps(client(json.loads(spec), float(start_at), int(rounds), int(nbytes), tag)))
    else:
        main()
