"""`advisor`: the command line, thin over advisor.service. Heavy imports happen inside commands."""

from __future__ import annotations

import json
import math
import sys
import time
from functools import wraps
from typing import Any, Callable

import click

from advisor.errors import AdvisorError


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def handles_errors(fn: Callable) -> Callable:
    """Print an AdvisorError as message and hint (or as the JSON error shape), exit 2 or 1, never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AdvisorError as exc:
            if kwargs.get("as_json"):
                _emit_json(exc.to_dict())
            else:
                click.secho(f"error: {exc.message}", fg="red", err=True)
                if exc.hint:
                    click.echo(f"hint: {exc.hint}", err=True)
                for item in exc.extra.get("closest", []):
                    click.echo(f"  closest: {item['key']:<40} reaches {item['reaches_ms']:.1f} ms", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # a bug: say so in one line; the traceback only when asked for
            import os

            if os.environ.get("ADVISOR_LOG_LEVEL", "").upper() == "DEBUG":
                raise
            click.secho(f"error: internal error: {type(exc).__name__}: {exc}", fg="red", err=True)
            click.echo("hint: this is a bug; run again with ADVISOR_LOG_LEVEL=DEBUG for the traceback", err=True)
            sys.exit(1)

    return wrapper


class ProgressBar:
    """A one-line progress bar on stderr with the current config and an ETA (only on a terminal)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.monotonic()

    def __call__(self, fraction: float, message: str) -> None:
        if not self.enabled:
            return
        width = 24
        filled = int(width * max(0.0, min(1.0, fraction)))
        elapsed = time.monotonic() - self.started
        eta = elapsed * (1 - fraction) / fraction if fraction > 0.01 else math.nan
        eta_text = f"ETA {int(eta) // 60}:{int(eta) % 60:02d}" if math.isfinite(eta) else "ETA --:--"
        line = f"\r[{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%} {eta_text}  {message[:70]:<70}"
        click.echo(line, nl=fraction >= 1.0, err=True)


json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cost-aware-advisor")
def main() -> None:
    """The cost-aware deployment advisor: the cheapest way to serve a TensorFlow model on AWS within an SLA.

    Settings come from ADVISOR_* environment variables; see the README's settings table.
    """


@main.command()
@json_option
@handles_errors
def workloads(as_json: bool) -> None:
    """List the workloads and how many profiles each has."""
    from advisor import service

    rows = service.list_workloads()
    if as_json:
        _emit_json(rows)
        return
    click.echo(f"{'WORKLOAD':<28} {'KIND':<10} {'PROFILES':>8}  DESCRIPTION")
    for r in rows:
        click.echo(f"{r['id']:<28} {r['kind']:<10} {r['profiles']:>8}  {r['description']}")


@main.command()
@click.option("--workload", required=True, help="Workload id (see `advisor workloads`).")
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
def profile(workload: str, backend: str | None, platform: str | None, strategy: str, sla: str | None,
            rps: float | None, max_trials: int | None, max_usd: float | None, configs: tuple[str, ...],
            concurrency: int | None, latency_target_ms: float, as_json: bool) -> None:
    """Measure a workload on a grid of configs (the local backend emulates them on this machine)."""
    from advisor import service

    body: dict[str, Any] = {"workload": workload, "backend": backend, "platform": platform, "strategy": strategy,
                            "max_trials": max_trials, "latency_target_ms": latency_target_ms, "sla": sla, "rps": rps,
                            "max_usd": max_usd, "concurrency": concurrency}
    body = {k: v for k, v in body.items() if v is not None}
    if configs:
        body["configs"] = [_parse_config(c) for c in configs]
    from advisor.signals import terminate_as_interrupt

    if (backend or "") == "aws" and not as_json:
        plan = service.estimate(body)
        click.echo(f"{len(plan['configs'])} trials on AWS, costing at most ${plan['max_usd']:.4f} (each Lambda "
                   "invocation at its timeout, each endpoint for 45 minutes)", err=True)
    with terminate_as_interrupt():  # SIGTERM tears the trial down like Ctrl-C does
        result = service.profile(body, ProgressBar(sys.stderr.isatty() and not as_json))
    if as_json:
        _emit_json(result)
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
        click.echo(f"skipped {s['config']}: {s['reason']}")


def _parse_config(text: str) -> dict[str, Any]:
    from advisor.errors import BadInput

    parts = text.split(":")
    if len(parts) < 2:
        raise BadInput(f"cannot parse config {text!r}", hint="e.g. lambda:1024, lambda:1024:arm64, "
                       "sagemaker-realtime:ml.c5.large", fields={"config": "unparseable"})
    if parts[0] in ("lambda", "sagemaker-serverless", "lambda-training"):
        try:
            memory = int(parts[1])
        except ValueError:
            raise BadInput(f"memory in {text!r} is not a whole number of MB", hint="e.g. lambda:1024",
                           fields={"config": "bad memory"}) from None
        return {"platform": parts[0], "memory_mb": memory, "architecture": parts[2] if len(parts) > 2 else "x86_64"}
    return {"platform": parts[0], "instance_type": parts[1], "instance_count": int(parts[2]) if len(parts) > 2 else 1}


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
@click.option("--all", "show_all", is_flag=True, help="List every rejected config instead of grouping by reason.")
@json_option
@handles_errors
def recommend(workload: str, sla: str, rps: float | None, platform: str | None, confidence: float | None,
              max_trials: int | None, measurements: str | None, seed: int | None, show_all: bool,
              as_json: bool) -> None:
    """The cheapest configuration that meets the SLA, and why every other one was not chosen."""
    from advisor import service
    from advisor.errors import BadInput

    body = {"workload": workload, "sla": sla, "rps": rps, "platform": platform, "confidence": confidence,
            "max_trials": max_trials, "seed": seed}
    body = {k: v for k, v in body.items() if v is not None}
    if measurements:
        from pathlib import Path

        from profilers.importers import read_text

        answer = service.recommend_from_measurements(body, read_text(measurements), Path(measurements).name)
    else:
        if max_trials is not None:
            raise BadInput("--max-trials applies to --measurements (replayed trials)",
                           hint="for live trials use `advisor profile --max-trials`", fields={"max_trials": "unused"})
        answer = service.recommend(body)
    if as_json:
        _emit_json(answer)
        return
    from advisor.render import recommendation_text

    click.echo(recommendation_text(answer, show_all))


@main.group()
def profiles() -> None:
    """Profiles measured elsewhere: import them."""


@profiles.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", default="auto", show_default=True,
              type=click.Choice(["auto", "csv", "cloudwatch", "power-tuning", "inference-recommender"]),
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
    from profilers.importers import read_text

    result = service.import_profiles(read_text(file), Path(file).name, fmt, workload, architecture)
    if as_json:
        _emit_json(result)
        return
    click.echo(f"Imported {result['rows']} {result['format']} records as {result['profiles']} profiles of {len(result['workloads'])} "
               f"workloads ({result['infeasible']} infeasible configs) from {result['source']}.")


def _print_plan(plan: dict[str, Any]) -> None:
    target, cur, want = plan["target"], plan["current"], plan["desired"]
    if target["kind"] == "lambda":
        click.echo(f"Plan {plan['id']} for {target['function']} (alias {target['alias']}), "
                   f"from {plan['recommendation_id']}")
        click.echo(f"  current: {cur['memory_mb']} MB {cur['architecture']}, version {cur['version'] or '(no alias)'}")
        click.echo(f"  desired: {want['memory_mb']} MB {want['architecture']}")
    else:
        click.echo(f"Plan {plan['id']} for endpoint {target['endpoint']}, from {plan['recommendation_id']}")
        click.echo(f"  current: {cur['endpoint_config']}: " + (f"serverless {cur['serverless_memory_mb']} MB"
                   if cur["serverless_memory_mb"] else f"{cur['instance_type']} x{cur['instance_count']}"))
        click.echo("  desired: " + (f"serverless {want['serverless_memory_mb']} MB" if want.get("serverless_memory_mb")
                   else f"{want['instance_type']} x{want['instance_count']}"))
    if not plan["actions"]:
        click.echo("  no changes: it already runs the recommended configuration")
        return
    for k, action in enumerate(plan["actions"], start=1):
        detail = ", ".join(f"{key}={value}" for key, value in action.items() if key != "action")
        click.echo(f"  {k}. {action['action']}" + (f" ({detail})" if detail else ""))
    for line in plan["cost"]["lines"]:
        click.echo(f"  {line}")
    if plan["sla_margin"] is not None:
        click.echo(f"  SLA {plan['sla']}: margin {plan['sla_margin']:.0%} below the bound at the interval's upper end")


@main.command()
@click.option("--recommendation", "recommendation_id", default=None, help="Recommendation id to deploy.")
@click.option("--function", default=None, help="The Lambda function to change (Lambda recommendations).")
@click.option("--endpoint", default=None, help="The SageMaker endpoint to change (SageMaker recommendations).")
@click.option("--rollback-alarm", "alarms", multiple=True,
              help="A CloudWatch alarm that makes SageMaker roll a blue/green update back (repeatable).")
@click.option("--canary", type=int, default=None, help="SageMaker: shift this percent of capacity first.")
@click.option("--alias", default="live", show_default=True, help="The alias that serves traffic.")
@click.option("--steps", default=None, help="Shift traffic in weighted steps first, e.g. 0.1,0.5.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False), default=None, help="Save the plan as JSON.")
@click.option("--apply", "do_apply", is_flag=True, help="Carry the plan out (asks first unless -y).")
@click.option("--plan", "plan_path", type=click.Path(dir_okay=False), default=None,
              help="With --apply: apply exactly this saved plan, not a new one.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask before applying.")
@json_option
@handles_errors
def deploy(recommendation_id: str | None, function: str | None, endpoint: str | None, alarms: tuple[str, ...],
           canary: int | None, alias: str, steps: str | None, out_path: str | None, do_apply: bool,
           plan_path: str | None, yes: bool, as_json: bool) -> None:
    """Plan a deployment of a recommendation with a monthly cost diff; --apply carries it out, with rollback.
    Exit codes: 0 no change, 2 changes (planned, or applied), 1 error."""
    import json as _json
    from pathlib import Path

    from advisor import service
    from advisor.errors import BadInput
    from profilers.importers import read_text

    if plan_path:
        if not do_apply:
            raise BadInput("--plan goes with --apply", hint="advisor deploy --apply --plan plan.json",
                           fields={"plan": "without --apply"})
        try:
            plan = _json.loads(read_text(plan_path))
        except _json.JSONDecodeError as exc:
            raise BadInput(f"{plan_path} is not a plan: {exc}", hint="use a file written by --out",
                           fields={"plan": "not JSON"}) from None
    else:
        body = {"recommendation": recommendation_id, "function": function, "alias": alias, "endpoint": endpoint,
                "alarms": list(alarms), "canary_percent": canary,
                "steps": [s for s in (steps or "").split(",") if s.strip()]}
        try:
            body["steps"] = [float(s) for s in body["steps"]]
        except ValueError:
            raise BadInput(f"--steps {steps!r} are not numbers", hint="e.g. --steps 0.1,0.5",
                           fields={"steps": "not numbers"}) from None
        plan = service.plan_deployment(body)
    if out_path:
        Path(out_path).write_text(_json.dumps(plan, indent=2))
    if not as_json:
        _print_plan(plan)
    changes = bool(plan["actions"])
    if not do_apply:
        if as_json:
            _emit_json(plan)
        sys.exit(2 if changes else 0)
    if changes and not yes and not as_json and not click.confirm("Apply this plan?", default=False):
        click.echo("not applied")
        sys.exit(0)
    outcome = service.apply_plan(plan)
    if as_json:
        _emit_json(outcome)
    else:
        serving = outcome.get("version") or outcome.get("endpoint_config")
        click.echo(f"applied: {serving} now serves" if outcome["changed"] else "nothing to do: already as recommended")
    sys.exit(2 if outcome["changed"] else 0)


@main.command()
@click.option("--older-than", default="2h", show_default=True, help="Only resources at least this old (30m, 2h, 1d).")
@click.option("-y", "--yes", is_flag=True, help="Delete without asking.")
@json_option
@handles_errors
def gc(older_than: str, yes: bool, as_json: bool) -> None:
    """List AWS resources that trials left behind (tagged advisor:trial) and delete them."""
    from advisor import service

    found = service.gc_find(older_than)
    if not as_json:
        if not found:
            click.echo(f"Nothing tagged advisor:trial is older than {older_than}.")
            return
        click.echo(f"{'KIND':<26} {'NAME':<40} {'TRIAL':<18} AGE")
        for item in found:
            click.echo(f"{item['kind']:<26} {item['name']:<40} {item['trial']:<18} {item['age_s'] / 3600:.1f} h")
    if found and (yes or (not as_json and click.confirm(f"Delete these {len(found)} resources?", default=False))):
        deleted = service.gc_delete(older_than)
        if as_json:
            _emit_json({"found": found, "deleted": deleted})
        else:
            click.echo(f"Deleted {len(deleted)} resources.")
    elif as_json:
        _emit_json({"found": found, "deleted": []})


@main.group()
def prices() -> None:
    """Price tables: dated, sourced, with overrides and discounts from settings."""


@prices.command("show")
@click.option("--region", default=None, help="Region (default: $ADVISOR_REGION).")
@json_option
@handles_errors
def prices_show(region: str | None, as_json: bool) -> None:
    """Print the price table in use, with its date and sources."""
    from advisor import service

    data = service.prices_show(region)
    if as_json:
        _emit_json(data)
        return
    click.echo(f"Prices for {data['region']} as of {data['as_of']} (USD, on-demand)")
    if data["note"]:
        click.echo(f"  {data['note']}")
    click.echo(f"  {'KEY':<36} {'PRICE':>14}  {'UNIT':<44} {'CONFIDENCE':<10} SOURCE")
    for key, p in data["prices"].items():
        shown = f"{p['effective_usd']:.10g}"
        if p["discount"]:
            shown += f" (-{p['discount']:.0%})"
        click.echo(f"  {key:<36} {shown:>14}  {p['unit']:<44} {p['confidence']:<10} {p['source']}")
    click.echo("Sources:")
    for name, text in data["sources"].items():
        click.echo(f"  {name}: {text}")
    click.echo(f"Unpriced here (skipped by recommendations): {', '.join(data['unpriced_instance_types'])}")
    click.echo(f"Regions with a table: {', '.join(data['regions'])}")


@main.command()
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1, $ADVISOR_HOST).")
@click.option("--port", type=int, default=None, help="Port (default 8080, $ADVISOR_PORT).")
@click.option("--workers", type=int, default=None, help="WSGI worker processes (default $ADVISOR_WORKERS).")
@click.option("--bootstrap/--no-bootstrap", default=False,
              help="On an empty store, profile the reference workload on the small local grid first.")
@handles_errors
def serve(host: str | None, port: int | None, workers: int | None, bootstrap: bool) -> None:
    """Serve the API and the web page with a production WSGI server (gunicorn)."""
    from api.server import run

    run(host=host, port=port, workers=workers, bootstrap=bootstrap)


if __name__ == "__main__":
    main()
