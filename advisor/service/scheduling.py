"""Schedules: periodic re-profiling, production imports and price refreshes, each followed by a drift check, a
finding, a notification and (inside guardrails) a deploy. The scheduler process (advisor/scheduler.py) calls
`execute`; `run_now` calls it directly."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import time
import urllib.request
from typing import Any

from advisor.core import settings
from advisor.core.domain import SLA, Config, Profile
from advisor.core.errors import AdvisorError, BadInput, NoFeasibleConfig
from advisor.service.common import _number, answerable, log, store
from advisor.service.workloads import get_workload, runnable

JOBS = ("reprofile", "import", "prices")
ACTIONS = ("notify", "apply")
_EVERY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _schedules() -> Any:
    from advisor.store.schedules import Schedules

    return Schedules(store())


def parse_every(value: Any) -> int:
    match = _EVERY.match(str(value)) if value is not None else None
    if not match or float(match[1]) * _UNIT_S[match[2]] < 1:
        raise BadInput(f"cannot read the interval {value!r}", hint="a number and a unit s, m, h or d, e.g. 1d or 30m",
                       fields={"every": "invalid"})
    return int(float(match[1]) * _UNIT_S[match[2]])


def _quiet_hours(value: Any) -> str | None:
    if value in (None, ""):
        return None
    match = re.fullmatch(r"(\d{1,2})-(\d{1,2})", str(value).strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 24:
        raise BadInput(f"cannot read quiet hours {value!r}", hint="HH-HH in UTC, e.g. 22-06",
                       fields={"quiet_hours": "invalid"})
    return f"{int(match[1])}-{int(match[2])}"


def add(body: dict[str, Any]) -> dict[str, Any]:
    """Validate a schedule whole, then store it; the scheduler picks it up within seconds."""
    workload = get_workload(str(body.get("workload") or ""))["id"] if body.get("workload") else None
    if workload is None:
        raise BadInput("workload is required", hint="a workload id from `advisor workloads`",
                       fields={"workload": "required"})
    job = body.get("job", "reprofile")
    if job not in JOBS:
        raise BadInput(f"unknown job {job!r}", hint="one of: " + ", ".join(JOBS), fields={"job": "unknown"})
    every_s = parse_every(body.get("every", "1d"))
    if not body.get("sla"):
        raise BadInput("sla is required: drift and findings are judged against it", hint="e.g. --sla 'p95<=250ms'",
                       fields={"sla": "required"})
    rps = _number(body, "rps", None, float, 0.0)
    answerable(SLA.parse(str(body["sla"]), rps))
    action = body.get("action", "notify")
    if action not in ACTIONS:
        raise BadInput(f"unknown action {action!r}", hint="notify or apply", fields={"action": "unknown"})
    webhook = body.get("webhook")
    if webhook and not str(webhook).startswith(("http://", "https://")):
        raise BadInput("the webhook must be an http(s) URL", hint="e.g. https://hooks.example/advisor",
                       fields={"webhook": "invalid"})
    spec: dict[str, Any] = {"sla": str(body["sla"]), "rps": rps, "action": action, "webhook": webhook or None,
                            "backend": body.get("backend") or "local", "source": body.get("source"),
                            "function": body.get("function"), "endpoint": body.get("endpoint"),
                            "config": Config.from_dict(body["config"]).to_dict() if body.get("config") else None,
                            "guardrails": {"max_monthly_increase_usd": _number(body, "max_monthly_increase_usd", 0.0,
                                                                               float, 0.0),
                                           "min_sla_margin": _number(body, "min_sla_margin", 0.1, float, 0.0),
                                           "quiet_hours": _quiet_hours(body.get("quiet_hours"))}}
    if job == "reprofile" and spec["backend"] not in ("local", "replay"):
        raise BadInput("scheduled re-profiling runs on the local or replay backend",
                       hint="for production figures schedule the import job (--job import --function NAME)",
                       fields={"backend": "unsupported"})
    if job == "reprofile" and spec["backend"] == "replay" and not spec["source"]:
        raise BadInput("the replay backend needs a measurements file", hint="--source measurements.csv",
                       fields={"source": "required"})
    if job == "import" and not (spec["function"] or spec["endpoint"]):
        raise BadInput("an import needs a Lambda function or a SageMaker endpoint",
                       hint="--function NAME or --endpoint NAME", fields={"function": "required"})
    if job == "import" and spec["endpoint"] and not spec["config"]:
        raise BadInput("an endpoint import needs the endpoint's config", hint="--config sagemaker-realtime:ml.c5.large",
                       fields={"config": "required"})
    if action == "apply" and not (spec["function"] or spec["endpoint"]):
        raise BadInput("applying needs the deployment target", hint="--function NAME or --endpoint NAME",
                       fields={"action": "needs a target"})
    if action == "apply" or job == "import":
        from advisor.core.aws import require_credentials

        require_credentials("a schedule that " + ("applies deployments" if action == "apply" else
                                                  "imports CloudWatch figures"))
    return _schedules().add(workload, job, every_s, spec)


def list_all() -> list[dict[str, Any]]:
    """Every schedule, with its next run as the leading scheduler has it (None: paused, or no scheduler yet)."""
    store = _schedules()
    due = store.next_runs()
    return [{**s, "next_run_at": None if s["paused"] else due.get(s["id"])} for s in store.all()]


def get(schedule_id: str) -> dict[str, Any]:
    return _schedules().get(schedule_id)


def pause(schedule_id: str) -> dict[str, Any]:
    return _schedules().set_paused(schedule_id, True)


def resume(schedule_id: str) -> dict[str, Any]:
    return _schedules().set_paused(schedule_id, False)


def remove(schedule_id: str) -> dict[str, Any]:
    _schedules().remove(schedule_id)
    return {"id": schedule_id, "removed": True}


def runs(schedule_id: str) -> list[dict[str, Any]]:
    return _schedules().runs(schedule_id)


def runner_id() -> str:
    """Who runs a schedule: this host and process, as recorded on its runs and on the scheduler's lock."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_now(schedule_id: str) -> dict[str, Any]:
    return execute(schedule_id, runner_id())


def execute(schedule_id: str, runner: str) -> dict[str, Any]:
    """Run one schedule's job and record it: a job that raises is a failed run with its error, never a crash."""
    schedules = _schedules()
    schedule = schedules.get(schedule_id)
    run_id = schedules.start_run(schedule_id, runner)
    started = time.monotonic()
    try:
        outcome = {"reprofile": _reprofile, "import": _import, "prices": _prices}[schedule["job"]](schedule)
        outcome.update(_act(schedule, outcome))
        schedules.finish_run(run_id, "succeeded", outcome)
        saving = outcome.get("saving_usd_per_month")
        log.info("schedule %s (%s of %s): %s%s%s, %.1f s", schedule_id, schedule["job"], schedule["workload"],
                 outcome.get("finding"), " after drift" if outcome.get("drift") else "",
                 f", saving {saving:.2f} USD/month" if saving is not None else "", time.monotonic() - started)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, the scheduler goes on
        message = f"{exc.message}: {exc.hint}" if isinstance(exc, AdvisorError) else f"{type(exc).__name__}: {exc}"
        schedules.finish_run(run_id, "failed", None, message)
        log.warning("schedule %s failed: %s", schedule_id, message)
    return schedules.runs(schedule_id, limit=1)[0]


# -- the jobs -------------------------------------------------------------------------------------------------
def _model(workload: str, confidence: float) -> Any:
    from advisor.service.recommending import fitted_model

    version = store().profiles_version(workload)
    if not version or not store().profiles(workload):
        return None
    return fitted_model(workload, confidence, version)[0]


def _neighbours(config: Config) -> list[Config]:
    """The deployed config and those beside it (for Lambda, the sizes either side): enough to see a better one."""
    from advisor.core import platforms

    return platforms.of(config).neighbours(config)


def _current(schedule: dict[str, Any]) -> Config | None:
    return Config.from_dict(schedule["config"]) if schedule.get("config") else None


def _reprofile(schedule: dict[str, Any]) -> dict[str, Any]:
    current = _current(schedule) or _chosen_now(schedule)
    configs = _neighbours(current)
    if schedule["backend"] == "replay":
        from profilers.importers import profiles_from_rows, read_csv, read_text

        rows = read_csv(read_text(schedule["source"]), schedule["source"])
        wanted = {c.key for c in configs}
        fresh = [p for p in profiles_from_rows(rows, "replay:scheduled")
                 if p.workload == schedule["workload"] and p.config.key in wanted]
    else:
        fresh = _profile_locally(schedule["workload"], configs)
    return _after_measuring(schedule, fresh, current)


def _profile_locally(workload: str, configs: list[Config]) -> list[Profile]:
    from advisor import backends
    from profilers.inference import InferencePlan, profile

    spec, backend = runnable(workload), backends.get("local")
    plan = InferencePlan(seed=int(settings.get("SEED")), invocations=20)
    return [profile(backend, spec, c, plan, model_path=backend.model_path(spec)) for c in configs
            if not backend.check(c)]


def _import(schedule: dict[str, Any]) -> dict[str, Any]:
    from advisor.service.production_metrics import endpoint_metrics, lambda_reports

    fresh, cursor = (lambda_reports if schedule["function"] else endpoint_metrics)(schedule)
    current = _current(schedule) or (fresh[0].config if fresh else None)
    outcome = _after_measuring(schedule, fresh, current)
    if cursor is not None:
        _schedules().set_cursor(schedule["id"], cursor)
    return outcome


def _prices(schedule: dict[str, Any]) -> dict[str, Any]:
    """Re-read the price tables (first rebuilt from the Price List at the schedule's source, when it has one) and
    recompute the finding under them."""
    from advisor.core import prices

    refreshed = None
    if schedule.get("source"):
        from advisor.service.prices import refresh

        answer = refresh([settings.get("REGION")], schedule["source"])["regions"][0]
        refreshed = {"published": {k: v["published"] for k, v in answer["services"].items()},
                     "changed": len(answer["changed"])}
    table = prices.from_settings()
    last = next((r["outcome"] for r in _schedules().runs(schedule["id"], limit=20) if r["outcome"]), None) or {}
    outcome = _after_measuring(schedule, [], _current(schedule))
    changed = last.get("prices") not in (None, table.fingerprint)
    return outcome | {"prices": table.fingerprint, "prices_as_of": table.as_of, "prices_changed": changed,
                      "prices_refreshed": refreshed}


def _chosen_now(schedule: dict[str, Any]) -> Config:
    answer = _recommend(schedule)
    if answer is None:
        raise NoFeasibleConfig("nothing meets the SLA yet, so there is no config to re-profile",
                               hint="give the deployed config with --config", fields={"config": "required"})
    return Config.from_dict(answer["chosen"])


def _recommend(schedule: dict[str, Any]) -> dict[str, Any] | None:
    from advisor.service.recommending import recommend

    body = {"workload": schedule["workload"], "sla": schedule["sla"]}
    if schedule.get("rps") is not None:
        body["rps"] = schedule["rps"]
    try:
        return recommend(body)
    except NoFeasibleConfig:
        return None


def _after_measuring(schedule: dict[str, Any], fresh: list[Profile], current: Config | None) -> dict[str, Any]:
    """Drift check against the model fitted before FRESH, then store FRESH (superseding the old figures of its
    configs when they drifted), refit, re-recommend and label the deployed config."""
    from advisor.deploy.common import monthly
    from recommender import drift
    from recommender.search import metric_for

    sla = SLA.parse(schedule["sla"], schedule.get("rps"))
    metric = metric_for(sla) or "p99_ms"
    old_model = _model(schedule["workload"], float(settings.get("CONFIDENCE")))
    checks = [drift.check(old_model, p, metric) for p in fresh]
    drifted = any(c["drift"] for c in checks)
    if fresh:
        store().add_profiles(fresh, supersede=drifted)
    answer = _recommend(schedule)
    chosen = answer["chosen"] if answer else None
    chosen_key = Config.from_dict(chosen).key if chosen else None
    current_key = current.key if current else None
    meets = None
    if answer and current_key:
        ok = {chosen_key} | {o["key"] for o in answer["alternatives"]}
        meets = current_key in ok
    elif answer is None and current_key:
        meets = False
    enough = any(c["enough"] for c in checks) if fresh else True
    label, saving = drift.finding(current_key, meets, monthly(answer, current_key) if answer and current_key else None,
                                  chosen_key, answer["cost"]["usd_per_month"] if answer else None, enough)
    return {"drift": drifted, "checks": checks, "fresh_profiles": len(fresh), "finding": label,
            "saving_usd_per_month": saving, "current": current_key, "recommended": chosen_key,
            "recommendation": answer["id"] if answer else None}


# -- acting on it ---------------------------------------------------------------------------------------------
def guardrail_verdict(plan: dict[str, Any], guardrails: dict[str, Any], now: dt.datetime) -> str | None:
    """Why PLAN must not be applied unattended, or None when every guardrail holds."""
    quiet = guardrails.get("quiet_hours")
    if quiet:
        start, end = (int(h) for h in quiet.split("-"))
        inside = start <= now.hour < end if start < end else (now.hour >= start or now.hour < end)
        if inside:
            return f"quiet hours ({quiet} UTC)"
    margin = plan.get("sla_margin")
    if margin is None or margin <= 0:
        return "the new plan would not meet the SLA"
    if margin < guardrails.get("min_sla_margin", 0.0):
        return f"SLA margin {margin:.0%} below the minimum {guardrails['min_sla_margin']:.0%}"
    before, after = plan["cost"]["before_usd_per_month"], plan["cost"]["after_usd_per_month"]
    if before is None:
        return "the current config's cost is unknown, so the increase cannot be bounded"
    limit = guardrails.get("max_monthly_increase_usd", 0.0)
    if after - before > limit:
        return f"monthly cost would rise by {after - before:.2f} USD, over the limit {limit:.2f}"
    return None


def _act(schedule: dict[str, Any], outcome: dict[str, Any]) -> dict[str, Any]:
    done: dict[str, Any] = {}
    if schedule.get("webhook"):
        done["notified"] = _notify(schedule, outcome)
    if schedule["action"] != "apply" or outcome["finding"] not in ("over-provisioned", "under-provisioned") \
            or not outcome.get("recommendation") or outcome["recommended"] == outcome["current"]:
        return done
    from advisor.service.deploying import apply, plan

    target = {"function": schedule["function"]} if schedule.get("function") else {"endpoint": schedule["endpoint"]}
    proposed = plan({"recommendation": outcome["recommendation"], **target})
    blocked = guardrail_verdict(proposed, schedule["guardrails"], dt.datetime.now(dt.timezone.utc))
    if blocked:
        return done | {"applied": False, "blocked": blocked, "plan": proposed["id"]}
    result = apply(proposed)
    recommended = store().get_recommendation(outcome["recommendation"])["chosen"]
    _schedules().update_spec(schedule["id"], config=Config.from_dict(recommended).to_dict())  # judged next time
    return done | {"applied": True, "plan": proposed["id"], "changed": bool(result.get("changed")),
                   "steps": result.get("steps")}


def _notify(schedule: dict[str, Any], outcome: dict[str, Any]) -> str:
    body = json.dumps({"schedule": schedule["id"], "workload": schedule["workload"], "job": schedule["job"],
                       **{k: outcome.get(k) for k in ("finding", "drift", "saving_usd_per_month", "current",
                                                      "recommended", "recommendation")}}).encode()
    request = urllib.request.Request(schedule["webhook"], data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return f"HTTP {response.status}"
    except Exception as exc:  # noqa: BLE001 - a dead webhook is reported in the run, not fatal to it
        return f"failed: {exc}"
