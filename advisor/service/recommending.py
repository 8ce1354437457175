"""Recommending: from stored profiles (cached model and answers) or from a measurements file (what-if)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from advisor.core import platforms, settings
from advisor.core.domain import SLA, Profile
from advisor.core.errors import BadInput, NoFeasibleConfig
from advisor.service.common import _lock, _number, _workload_and_version, parse_platforms, store

_models: dict[tuple[str, str, str, float], Any] = {}
_answers: dict[tuple[str, str], tuple[dict[str, Any], bytes]] = {}  # identical inputs give the identical answer


def fitted_model(workload_id: str, confidence: float, version: str) -> tuple[Any, list[Profile]]:
    """The workload's performance model, refit only when its profiles change (VERSION)."""
    from recommender.model import PerformanceModel

    st = store()
    key = (st.url, workload_id, version, confidence)
    with _lock:
        hit = _models.get(key)
    if hit is None:
        profiles = st.profiles(workload_id)
        model = PerformanceModel.fit(profiles, confidence)
        latest = st.latest_model(workload_id)
        if latest is None or latest["profiles_version"] != version:
            st.save_model(workload_id, version, model.params())  # kept for inspection and drift checks
        hit = (model, profiles)
        with _lock:
            _models.clear() if len(_models) > 64 else None
            _models[key] = hit
    return hit


def recommend(body: dict[str, Any]) -> dict[str, Any]:
    """The cheapest config that meets the SLA, with predictions, costs, runners-up and every rejection."""
    return _recommend(body)[0]


def recommend_json(body: dict[str, Any]) -> bytes:
    """The same answer, serialized once and reused for identical requests (the API's fast path)."""
    return _recommend(body)[1]


def _recommend(body: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    from advisor.core import prices as price_tables
    from advisor.service import answers
    from recommender.search import metric_for, search

    workload_id, version = _workload_and_version(body)
    if not body.get("sla") or not isinstance(body.get("sla"), str):
        raise BadInput("sla is required", hint="e.g. 'p95<=250ms' or 'deadline<=2h'", fields={"sla": "required"})
    rps = _number(body, "rps", None, float)
    sla = SLA.parse(body["sla"], rps)
    if sla.kind == "deadline":
        from advisor.service.training import recommend_training

        return recommend_training(body, workload_id, sla, version)
    platform_names = parse_platforms(body.get("platform"))
    confidence = _number(body, "confidence", settings.get("CONFIDENCE"), float, 0.5)
    if confidence >= 1:
        raise BadInput("confidence must be below 1", hint="e.g. 0.9", fields={"confidence": "out of range"})
    hours = float(settings.get("HOURS_PER_MONTH"))
    table = price_tables.from_settings()
    request = {"workload": workload_id, "sla": sla.text, "rps": rps, "platform": list(platform_names),
               "confidence": confidence, "region": table.region}
    rec_id = "rec-" + hashlib.sha256(json.dumps([request, version, table.fingerprint, hours],
                                                sort_keys=True).encode()).hexdigest()[:16]
    with _lock:
        cached = _answers.get((store().url, rec_id))
    if cached is not None:
        return cached
    model, profiles = fitted_model(workload_id, confidence, version)
    if not profiles:
        raise NoFeasibleConfig(f"workload {workload_id!r} has no profiles yet",
                               hint=f"run `advisor profile --workload {workload_id}` or import measurements first",
                               fields={"workload": "no profiles"})
    effective_rps = rps if rps is not None else 1.0
    result = search(platforms.candidates(platform_names), model, sla, effective_rps, table, hours)

    basis = {"profiles": len(profiles), "prices_as_of": table.as_of, "region": table.region,
             "model": model.describe(), "confidence": confidence,
             "measured_by": sorted({p.method for p in profiles}),
             "rps_assumed": rps is None,
             "notes": _basis_notes(profiles)}
    chosen = result.chosen
    if chosen is None:
        raise NoFeasibleConfig(
            f"no candidate meets {sla.text}" + (f" at {rps:g} rps" if rps else ""),
            hint="relax the SLA, lower the confidence, or add platforms; the closest configs are listed",
            fields={"sla": "not met by any candidate"}, extra={"closest": answers.closest(result), "basis": basis})
    answer = answers.recommendation(rec_id, workload_id, sla, result, metric_for(sla) or "",
                                    [p.config.to_dict() for p in profiles], basis)
    text = json.dumps(answer)
    store().save_recommendation(rec_id, workload_id, request, text)
    done = (answer, text.encode())
    with _lock:
        if len(_answers) > 256:
            _answers.clear()
        _answers[(store().url, rec_id)] = done
    return done


def _basis_notes(profiles: list[Profile]) -> list[str]:
    notes = []
    if any(p.method.startswith("local:") for p in profiles):
        notes.append("local profiles emulate Lambda's CPU share and instance vCPUs on this machine's CPUs; "
                     "they are not measurements on AWS hardware")
    return notes


def recommend_from_measurements(body: dict[str, Any], csv_text: str, source: str) -> dict[str, Any]:
    """What-if: recommend for a workload of a measurements CSV, replaying at most max_trials of its configs and
    learning from every other workload in the file. Nothing is written to the store."""
    from advisor.service import answers
    from advisor.core import prices as price_tables
    from advisor.backends.replay import ReplayBackend
    from profilers.importers import profiles_from_rows, read_csv
    from recommender.adaptive import cost_function, evaluations, hourly_overrides, recommend_from_profiles
    from recommender.search import SearchResult, metric_for

    workload_id = body.get("workload")
    if not workload_id or not isinstance(workload_id, str):
        raise BadInput("workload is required", hint="a workload id from the file", fields={"workload": "required"})
    if not body.get("sla") or not isinstance(body.get("sla"), str):
        raise BadInput("sla is required", hint="e.g. 'p95<=250ms' or 'deadline<=2h'", fields={"sla": "required"})
    rps = _number(body, "rps", None, float)
    sla = SLA.parse(body["sla"], rps)
    budget = _number(body, "max_trials", 3 if sla.kind == "latency" else 6, int, 1)
    confidence = _number(body, "confidence", settings.get("CONFIDENCE"), float, 0.5)
    if confidence >= 1:
        raise BadInput("confidence must be below 1", hint="e.g. 0.9", fields={"confidence": "out of range"})
    profiles = profiles_from_rows(read_csv(csv_text, source))
    replay = ReplayBackend(profiles, workload_id, budget)
    platform_names = parse_platforms(body.get("platform"), platforms.names()) if body.get("platform") else None
    candidates = [c for c in replay.candidates() if platform_names is None or c.platform in platform_names]
    if not candidates:
        raise BadInput(f"no config of {workload_id!r} in the file is on the platforms asked",
                       hint="drop --platform or name the file's platforms", fields={"platform": "no candidates"})
    effective_rps = rps if rps is not None else 1.0
    hours = float(settings.get("HOURS_PER_MONTH"))
    table = price_tables.from_settings()
    cost = cost_function(sla, effective_rps, table, hourly_overrides(profiles))
    history = [p for p in replay.history if p.config in set(candidates)]
    result = recommend_from_profiles(candidates, history, replay.trial, sla, budget, confidence, cost)
    search_result = SearchResult(sla, effective_rps, evaluations(result, sla, effective_rps, hours, confidence,
                                                                 len({p.workload for p in history})))
    basis = {"profiles": len(replay.revealed), "prices_as_of": table.as_of, "region": table.region,
             "model": "history prior: other workloads of the file shifted to the target's trials, weighted by "
                      "shape agreement; trials chosen by constrained expected improvement",
             "confidence": confidence, "measured_by": ["replay"], "rps_assumed": rps is None,
             "history_workloads": len({p.workload for p in history}), "source": source,
             "stopped_because": result.exploration.stopped_because,
             "notes": ["trials were replayed from the file; nothing was stored"]}
    if search_result.chosen is None:
        raise NoFeasibleConfig(f"no config of {workload_id!r} is known or predicted to meet {sla.text}",
                               hint="relax the SLA or allow more trials (--max-trials)",
                               fields={"sla": "not met by any candidate"},
                               extra={"closest": answers.closest(search_result), "basis": basis})
    rec_id = "rec-" + hashlib.sha256(json.dumps([body, hashlib.sha256(csv_text.encode()).hexdigest()],
                                                sort_keys=True, default=str).encode()).hexdigest()[:16]
    return answers.recommendation(rec_id, workload_id, sla, search_result, metric_for(sla) or "",
                                  [c.to_dict() for c in result.exploration.order], basis)


def get_recommendation(rec_id: str) -> dict[str, Any]:
    return store().get_recommendation(rec_id)
