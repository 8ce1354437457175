"""Commands that measure and decide: profile, profiles import, recommend."""

from __future__ import annotations

import sys
from typing import Any

import click

from advisor.cli import ProgressBar, _emit_json, handles_errors, json_option, main
from profilers.importers import FORMATS as IMPORT_FORMATS  # the importers' registry: cheap, no I/O


@main.command()
@click.option("--workload", default=None, help="Workload id (see `advisor workloads`); with --function, default the "
              "function's name.")
@click.option("--function", default=None, help="With --backend aws: tune this existing Lambda function (name or ARN) "
              "in place, as Lambda Power Tuning does; its configuration is restored afterwards.")
@click.option("--payload", "payload_path", default=None, type=click.Path(),
              help="With --function: the JSON event each invocation sends.")
@click.option("--backend", default=None, help="Where trials run: local (emulated here) or aws (Lambda); default $ADVISOR_BACKEND.")
@click.option("--platform", default=None, help="Comma-separated platforms, e.g. lambda,sagemaker-realtime.")
@click.option("--strategy", default="grid", show_default=True, type=click.Choice(["grid", "adaptive"]),
              help="grid: the configs given or the default grid; adaptive: only the Lambda sizes expected to lower "
                   "the cost under --sla, at most --max-trials.")
@click.option("--sla", default=None, help="With --strategy adaptive: the SLA to profile for, e.g. 'p95<=50ms'.")
@click.option("--rps", type=float, default=None, help="With --strategy adaptive: the throughput of the SLA.")
@click.option("--max-trials", type=int, default=None, help="Profile at most this many configs.")
@click.option("--max-usd", type=float, default=None,
              help="Refuse to start when the trials' estimated cloud cost is higher (local trials cost $0).")
@click.option("--config", "configs", multiple=True,
              help="A config to profile instead of the grid: lambda:1024, lambda:1024:arm64 or sagemaker-realtime:ml.c5.large.")
@click.option("--concurrency", type=int, default=None,
              help="With --backend aws: also invoke each Lambda config N at once and count the cold starts.")
@click.option("--latency-target", "latency_target_ms", type=float, default=250.0, show_default=True,
              help="p95 bound in ms at which an instance's capacity (rps) is measured.")
@json_option
@handles_errors
def profile(workload: str | None, function: str | None, payload_path: str | None, backend: str | None,
            platform: str | None, strategy: str, sla: str | None, rps: float | None, max_trials: int | None,
            max_usd: float | None, configs: tuple[str, ...], concurrency: int | None, latency_target_ms: float,
            as_json: bool) -> None:
    """Measure a workload on a grid of configs (the local backend emulates them on this machine), or tune an
    existing Lambda function on AWS (--function)."""
    from advisor import service

    if function and not backend:
        backend = "aws"
    body: dict[str, Any] = {"workload": workload, "backend": backend, "platform": platform, "strategy": strategy,
                            "max_trials": max_trials, "latency_target_ms": latency_target_ms, "sla": sla, "rps": rps,
                            "max_usd": max_usd, "concurrency": concurrency}
    body = {k: v for k, v in body.items() if v is not None}
    if function:
        body["function"] = function
        if payload_path is not None:
            body["payload"] = service.read_payload(payload_path)
    if configs:
        body["configs"] = [service.config_from_text(c).to_dict() for c in configs]
    from advisor.cli.signals import terminate_as_interrupt

    if (backend or "") == "aws" and not as_json:
        plan = service.estimate(body)
        click.echo(f"{len(plan['configs'])} trials on AWS, costing at most ${plan['max_usd']:.4f} (each Lambda "
                   "invocation at its timeout, each endpoint for 45 minutes)", err=True)
    with terminate_as_interrupt():  # SIGTERM tears the trial down like Ctrl-C does
        result = service.profile(body, ProgressBar(sys.stderr.isatty() and not as_json))
    if as_json:
        _emit_json(result)
        return
    if any("step_ms" in p["summary"] for p in result["profiles"]):
        _print_slices(result)
        return
    click.echo(f"{'CONFIG':<40} {'METHOD':<26} {'p50':>9} {'p95':>9} {'p99':>9} {'COLD START':>11} {'CAPACITY':>12}")
    for p in result["profiles"]:
        s = p["summary"]
        if not p["feasible"]:
            click.echo(f"{p['key']:<40} {p['method']:<26} infeasible: {p['note']}")
            continue
        cap = f"{s['capacity_rps']:.1f} rps" if "capacity_rps" in s else "-"
        click.echo(f"{p['key']:<40} {p['method']:<26} {s['p50_ms']:>6.1f} ms {s['p95_ms']:>6.1f} ms "
                   f"{s['p99_ms']:>6.1f} ms {s['cold_start_ms'] / 1000:>9.2f} s {cap:>12}")
    if result.get("strategy") == "adaptive":
        click.echo(f"adaptive for {result['sla']}: {len(result['profiles'])} trials; stopped: "
                   f"{result['stopped_because']}")
        click.echo(f"({len(result['skipped'])} configs not emulable here were not considered)")
        return
    for s in result["skipped"]:
        click.echo(f"skipped {s['key']}: {s['reason']}")


def _print_slices(result: dict[str, Any]) -> None:
    """Training slices: step time at the config's CPU share, and what each probed channel showed."""
    click.echo(f"{'CONFIG':<40} {'METHOD':<26} {'STEP ms':>9} {'SD ms':>7} {'GRADIENT MB':>12}  CHANNELS PROBED")
    for p in result["profiles"]:
        s = p["summary"]
        probed = sorted({k.split(".")[1] for k in s if k.startswith("channel.")})
        click.echo(f"{p['key']:<40} {p['method']:<26} {s['step_ms']:>9.1f} {s.get('step_sd_ms', 0):>7.1f} "
                   f"{s.get('gradient_bytes', 0) / 1e6:>12.2f}  {', '.join(probed) or '-'}")
    for row in result.get("skipped", []):
        click.echo(f"skipped {row['key']}: {row['reason']}")
    for note in result.get("notes", []):
        click.echo(f"note: {note}")


@main.command()
@click.option("--workload", required=True, help="Workload id.")
@click.option("--sla", required=True, help="e.g. 'p95<=250ms' (percentile 50..99.9, unit ms, s, m or h).")
@click.option("--rps", type=float, default=None, help="Throughput the SLA must hold at, in requests/s (default 1).")
@click.option("--platform", default=None, help="Comma-separated platforms to consider (default: all inference).")
@click.option("--confidence", type=float, default=None, help="Probability of meeting the SLA (default 0.9).")
@click.option("--max-trials", type=int, default=None, help="With --measurements: profile at most N configs.")
@click.option("--measurements", type=click.Path(), default=None,
              help="Replay trials from this measurements CSV (nothing is stored); other workloads in it are history.")
@click.option("--seed", type=int, default=None, help="Seed for any random choice.")
@click.option("--samples", type=int, default=None,
              help="Training deadlines: samples per epoch (default: the built-in workload's).")
@click.option("--epochs", type=float, default=None, help="Training deadlines: epochs to train (default 1).")
@click.option("--traffic", default=None,
              help="Instead of --rps: 'diurnal:peak=200,trough=5', 'constant:rps=40', or a CSV file of timestamp and "
                   "rps (or requests_per_minute, or invocations per row, as exported from CloudWatch).")
@click.option("--objective", type=click.Choice(["cost", "speed", "balanced"]), default="cost", show_default=True,
              help="cost: the cheapest; speed: the fastest within --max-usd-month; balanced: the lowest weighted sum "
                   "of cost and latency, each over its largest value (--balance on cost, 0.5 by default).")
@click.option("--max-usd-month", type=float, default=None, help="With --objective speed: the monthly budget in USD.")
@click.option("--balance", type=float, default=None, help="With --objective balanced: the weight on cost, 0 to 1.")
@click.option("--all", "show_all", is_flag=True, help="List every rejected config instead of grouping by reason.")
@json_option
@handles_errors
def recommend(workload: str, sla: str, rps: float | None, platform: str | None, confidence: float | None,
              max_trials: int | None, measurements: str | None, seed: int | None, samples: int | None,
              epochs: float | None, traffic: str | None, objective: str, max_usd_month: float | None,
              balance: float | None, show_all: bool, as_json: bool) -> None:
    """The cheapest configuration that meets the SLA, and why every other one was not chosen."""
    from pathlib import Path

    from advisor import service

    body = {"workload": workload, "sla": sla, "rps": rps, "platform": platform, "confidence": confidence,
            "max_trials": max_trials, "seed": seed, "samples": samples, "epochs": epochs,
            "objective": None if objective == "cost" else objective, "max_usd_month": max_usd_month,
            "balance": balance}
    body = {k: v for k, v in body.items() if v is not None}
    if traffic is not None:
        body["traffic"] = service.read_file(traffic) if ":" not in traffic and Path(traffic).is_file() else traffic
    source = "measurements_csv"
    if measurements:
        from pathlib import Path

        body["measurements_csv"], source = service.read_file(measurements), Path(measurements).name
    answer = service.recommend(body, source)
    if as_json:
        _emit_json(answer)
        return
    from advisor.cli.render import recommendation_text

    click.echo(recommendation_text(answer, show_all))


@main.group()
def profiles() -> None:
    """Profiles measured elsewhere: import them."""


@profiles.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", default="auto", show_default=True,
              type=click.Choice(["auto", *IMPORT_FORMATS]),
              help="The file's format; auto detects it from the content.")
@click.option("--workload", default=None, help="Workload id (formats that do not name one: all but csv).")
@click.option("--architecture", default="x86_64", show_default=True, type=click.Choice(["x86_64", "arm64"]),
              help="Lambda architecture of CloudWatch or Power Tuning data.")
@json_option
@handles_errors
def profiles_import(file: str, fmt: str, workload: str | None, architecture: str, as_json: bool) -> None:
    """Import measurements: a measurements CSV v1, CloudWatch Logs REPORT lines (text or JSON format), Lambda
    Power Tuning output or a DescribeInferenceRecommendationsJob response. All of it, or nothing."""
    from pathlib import Path

    from advisor import service

    result = service.import_profiles(service.read_file(file), Path(file).name, fmt, workload, architecture)
    if as_json:
        _emit_json(result)
        return
    if result["already_imported"]:
        click.echo(f"{result['source']} was imported before (same content, format and options): nothing changed.")
        return
    click.echo(f"Imported {result['rows']} {result['format']} records as {result['profiles']} profiles of {len(result['workloads'])} "
               f"workloads ({result['infeasible']} infeasible configs) from {result['source']}.")
