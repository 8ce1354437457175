"""Commands that act on AWS: deploy and gc."""

from __future__ import annotations

import sys
from typing import Any

import click

from advisor.cli import _emit_json, handles_errors, json_option, main


def _print_plan(plan: dict[str, Any]) -> None:
    if plan["target"]["kind"] == "hybrid":
        click.echo(f"Plan {plan['id']}: a hybrid from {plan['recommendation_id']}, in two parts")
        click.echo(f"  routing: {plan['routing']}")
        for line in plan["cost"]["lines"]:
            click.echo(f"  {line}")
        click.echo(f"  {plan['note']}")
        for part in plan["parts"]:
            _print_plan(part)
        return
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
    from advisor.core.errors import BadInput

    if plan_path:
        if not do_apply:
            raise BadInput("--plan goes with --apply", hint="advisor deploy --apply --plan plan.json",
                           fields={"plan": "without --apply"})
        try:
            plan = _json.loads(service.read_file(plan_path))
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
        for part in outcome.get("parts", [outcome]):
            serving = part.get("version") or part.get("endpoint_config")
            click.echo(f"applied: {serving} now serves" if part["changed"] else "nothing to do: already as recommended")
        if outcome.get("routing"):
            click.echo(f"routing to put in place: {outcome['routing']}")
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
