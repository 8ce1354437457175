"""Commands for scheduled re-profiling: schedule add|list|pause|resume|remove|run-now|runs, scheduler run."""

from __future__ import annotations

import sys
from typing import Any

import click

from advisor.cli import _emit_json, handles_errors, json_option, main


@main.group()
def schedule() -> None:
    """Periodic jobs that keep recommendations true: re-profile, import production figures, refresh prices."""


HEADER = (f"{'SCHEDULE':<16} {'WORKLOAD':<28} {'JOB':<10} {'EVERY':>11}  {'SLA':<16} {'ACTION':<7} {'STATE':<7} "
          f"{'NEXT RUN (UTC)':<17} TARGET")


def _every(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def _line(s: dict[str, Any]) -> str:
    import datetime as dt

    target = s.get("function") or s.get("endpoint") or s.get("source") or s.get("backend")
    state = "paused" if s["paused"] else "active"
    at = s.get("next_run_at")
    next_run = (dt.datetime.fromtimestamp(at, dt.timezone.utc).strftime("%Y-%m-%d %H:%M") if at else
                "-" if s["paused"] else "(no scheduler)")
    return (f"{s['id']:<16} {s['workload']:<28} {s['job']:<10} {_every(s['every_s']):>11}  {s['sla']:<16} "
            f"{s['action']:<7} {state:<7} {next_run:<17} {target}")


@schedule.command("add")
@click.option("--workload", required=True, help="Workload id.")
@click.option("--job", type=click.Choice(["reprofile", "import", "prices"]), default="reprofile", show_default=True,
              help="reprofile: a light profile of the deployed config and its neighbours; import: production "
                   "figures from CloudWatch; prices: re-read the price tables.")
@click.option("--every", default="1d", show_default=True, help="Interval: a number and s, m, h or d.")
@click.option("--sla", required=True, help="The SLA drift and findings are judged against, e.g. 'p95<=250ms'.")
@click.option("--rps", type=float, default=None, help="Throughput the SLA must hold at (requests/s).")
@click.option("--backend", type=click.Choice(["local", "replay"]), default=None,
              help="reprofile: where trials run (replay reads --source each time).")
@click.option("--source", default=None, help="replay: the measurements CSV to re-read; prices: the Price List "
              "URL or folder to refresh the region's table from first.")
@click.option("--config", "config_text", default=None,
              help="The deployed config, e.g. lambda:1024 (default: today's recommendation).")
@click.option("--function", default=None, help="The deployed Lambda function (import, apply).")
@click.option("--endpoint", default=None, help="The deployed SageMaker endpoint (import, apply).")
@click.option("--action", type=click.Choice(["notify", "apply"]), default="notify", show_default=True,
              help="apply: deploy a better recommendation, within the guardrails.")
@click.option("--webhook", default=None, help="POST each run's finding as JSON to this URL.")
@click.option("--max-monthly-increase", "max_monthly_increase_usd", type=float, default=None,
              help="Guardrail: the most an applied change may add per month, USD (default 0).")
@click.option("--min-sla-margin", type=float, default=None,
              help="Guardrail: the least SLA margin an applied change may leave, 0..1 (default 0.1).")
@click.option("--quiet-hours", default=None, help="Guardrail: never apply in these UTC hours, e.g. 22-06.")
@json_option
@handles_errors
def schedule_add(config_text: str | None, as_json: bool, **options: Any) -> None:
    """Add a schedule; a running scheduler picks it up within seconds."""
    from advisor import service
    from advisor.service import scheduling

    body = {k: v for k, v in options.items() if v is not None}
    if config_text:
        body["config"] = service.config_from_text(config_text).to_dict()
    created = scheduling.add(body)
    if as_json:
        _emit_json(created)
        return
    click.echo(f"added {created['id']}: {created['job']} of {created['workload']} every {created['every_s']} s")


@schedule.command("list")
@json_option
@handles_errors
def schedule_list(as_json: bool) -> None:
    """Every schedule, with its state."""
    from advisor.service import scheduling

    rows = scheduling.list_all()
    if as_json:
        _emit_json(rows)
        return
    if not rows:
        click.echo("no schedules (add one with `advisor schedule add`)")
        return
    click.echo(HEADER)
    for s in rows:
        click.echo(_line(s))


def _one(name: str, help_text: str) -> None:
    @schedule.command(name, help=help_text)
    @click.argument("schedule_id")
    @json_option
    @handles_errors
    def command(schedule_id: str, as_json: bool) -> None:
        from advisor.service import scheduling

        result = {"pause": scheduling.pause, "resume": scheduling.resume, "remove": scheduling.remove,
                  "run-now": scheduling.run_now}[name](schedule_id)
        if as_json:
            _emit_json(result)
        elif name == "run-now":
            click.echo(_run_line(result))
        else:
            click.echo(f"{name}: {schedule_id}")
        if name == "run-now" and result.get("status") == "failed":
            sys.exit(1)  # a run that failed is a failed command, whatever it printed


def _run_line(r: dict[str, Any]) -> str:
    o = r.get("outcome") or {}
    took = f"{r['duration_s']:.1f} s" if r.get("duration_s") is not None else "-"
    if r["status"] == "failed":
        return f"run {r['id']} failed after {took}: {r['error']}"
    saving = o.get("saving_usd_per_month")
    changed = "applied " + o["plan"] if o.get("applied") else (f"not applied: {o['blocked']}" if o.get("blocked")
                                                               else "nothing changed")
    return (f"run {r['id']} {r['status']} in {took}: {o.get('finding')}"
            f"{' after drift' if o.get('drift') else ''}; current {o.get('current')}, recommended "
            f"{o.get('recommended')}" + (f", saving {saving:.2f} USD/month" if saving is not None else "")
            + f"; {changed}")


_one("pause", "Stop running a schedule (kept, resumable).")
_one("resume", "Run a paused schedule again.")
_one("remove", "Delete a schedule and its run history.")
_one("run-now", "Run a schedule once, now, in this process, and print the outcome.")


@schedule.command("runs")
@click.argument("schedule_id")
@json_option
@handles_errors
def schedule_runs(schedule_id: str, as_json: bool) -> None:
    """A schedule's runs, newest first: outcome, duration, what changed."""
    from advisor.service import scheduling

    rows = scheduling.runs(schedule_id)
    if as_json:
        _emit_json(rows)
        return
    for r in rows:
        click.echo(_run_line(r))


@main.group()
def scheduler() -> None:
    """The process that runs the schedules."""


@scheduler.command("run")
@handles_errors
def scheduler_run() -> None:
    """Run the schedules until interrupted; with several of these on one database, exactly one runs the jobs."""
    import logging

    from advisor.core import settings
    from advisor.scheduler import SchedulerProcess
    from advisor.cli.signals import terminate_as_interrupt

    logging.basicConfig(level=settings.get("LOG_LEVEL"), format="%(asctime)s %(name)s %(message)s")
    process = SchedulerProcess()
    click.echo(f"scheduler {process.me} started (lock TTL {process.ttl_s:g} s); Ctrl-C stops it", err=True)
    with terminate_as_interrupt():
        try:
            process.run()
        except KeyboardInterrupt:
            process.stopped.set()
    click.echo("scheduler stopped", err=True)
