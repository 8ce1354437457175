"""The web page: workloads and their profiles, and per workload a chart of cost against latency (or, for training,
against the run's duration), with an SLA form that starts from what the workload's own profiles can meet."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, render_template

from advisor import service

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static")
SOURCE_ORDER = {"built-in": 0, "user model": 1, "measurements": 2, "superseded version": 3}


@bp.get("/")
def index() -> Any:
    """Workloads with profiles first, built-in and your own before imported ones; a filter box narrows the list."""
    rows = service.list_workloads()
    rows.sort(key=lambda w: (w["profiles"] == 0, SOURCE_ORDER.get(_source(w), 9), w["id"]))
    return render_template("index.html", workloads=rows)


def _source(w: dict[str, Any]) -> str:
    from advisor.workloads import BUILTIN

    if w["id"] in BUILTIN:
        return "built-in"
    params = w.get("params") or {}
    return "user model" if params.get("model") else "superseded version" if params.get("superseded_by") else \
        "measurements"


@bp.get("/ui/workloads/<workload_id>")
def workload_page(workload_id: str) -> Any:
    workload = service.get_workload(workload_id)
    runs = training_runs_of(workload_id) if workload["kind"] == "training" else []
    return render_template("workload.html", workload=workload, form=suggested_form(workload), runs=runs)


def training_runs_of(workload_id: str) -> list[dict[str, Any]]:
    """The workload's training runs, newest first, with what the page shows of each."""
    from advisor.service import training_runs

    out = []
    for r in training_runs.list_runs():
        result = r.get("result") or {}
        if (result.get("workload") or (r.get("request") or {}).get("workload")) != workload_id:
            continue
        held = result.get("held_out") or {}
        out.append({"id": r["id"], "status": r["status"], "key": result.get("key") or r.get("message") or "",
                    "backend": result.get("backend") or (r.get("request") or {}).get("backend") or "local",
                    "steps": result.get("steps"), "measured_s": result.get("measured_s"),
                    "predicted_s": result.get("predicted_s"), "usd": result.get("usd_measured"),
                    "loss": held.get("loss"), "auc": held.get("auc"),
                    "error": (r.get("error") or {}).get("message", "")})
    return out


def _nice(value: float) -> float:
    """VALUE rounded up to 1, 2 or 5 times a power of ten."""
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value)


def suggested_form(workload: dict[str, Any]) -> dict[str, Any]:
    """The SLA the form opens with: three times the best the workload's profiles measured (an SLA they can meet),
    or a generic one when nothing is measured yet."""
    feasible = [p["summary"] for p in workload["profiles"] if p["feasible"]]
    if workload["kind"] == "training":
        steps = [s["step_ms"] for s in feasible if s.get("step_ms")]
        samples = workload["params"].get("samples") or 100_000
        batch = workload["params"].get("batch_size") or 256
        if not steps:
            return {"sla": "deadline<=2h", "epochs": 1}
        minutes = _nice(max(1.0, 3 * min(steps) * samples / batch / 60_000))
        return {"sla": f"deadline<={minutes:g}m", "epochs": 1}
    p95s = [s["p95_ms"] for s in feasible if isinstance(s.get("p95_ms"), (int, float)) and s["p95_ms"] > 0]
    return {"sla": f"p95<={_nice(3 * min(p95s)):g}ms" if p95s else "p95<=250ms", "rps": 10}
