"""Recommending: one parsed request, answered from the store's profiles (a cached model and answers) or from a
measurements file (what-if, replayed trials, nothing stored)."""

from __future__ import annotations

import json
from typing import Any

from advisor.core import platforms, settings
from advisor.core.domain import Profile
from advisor.core.errors import NoFeasibleConfig
from advisor.service import state
from advisor.service.common import _workload_and_version, save_answer, store
from advisor.service.requests import RecommendRequest
from advisor.service.workloads import footprint as workload_footprint

def fitted_model(workload_id: str, confidence: float, version: str) -> tuple[Any, list[Profile]]:
    """The workload's performance model, refit only when its profiles change (VERSION)."""
    from recommender.model import PerformanceModel

    now = state.current()
    st = now.store
    key = (workload_id, version, confidence)
    hit = now.fitted_models.get(key)
    if hit is None:
        profiles = st.profiles(workload_id)
        model = PerformanceModel.fit(profiles, confidence)
        latest = st.latest_model(workload_id)
        if latest is None or latest["profiles_version"] != version:
            st.save_model(workload_id, version, model.params())  # kept for inspection and drift checks
        hit = (model, profiles)
        now.remember_model(key, hit)
    return hit


def recommend(body: dict[str, Any], source: str = "measurements_csv") -> dict[str, Any]:
    """The cheapest config that meets the SLA, with predictions, costs, runners-up and every rejection. With
    `measurements_csv` in BODY (named SOURCE in messages), its trials are replayed from that file."""
    return answer(RecommendRequest.parse(body, source))[0]


def recommend_json(body: dict[str, Any], source: str = "measurements_csv") -> bytes:
    """The same answer, serialized once and reused for identical requests (the API's fast path)."""
    return answer(RecommendRequest.parse(body, source))[1]


def answer(request: RecommendRequest) -> tuple[dict[str, Any], bytes]:
    """(the answer, its JSON): from the measurements when the request has them, else from the store."""
    if request.measurements_csv is not None:
        from advisor.service.what_if import recommend_from_measurements

        done = recommend_from_measurements(request)
        return done, json.dumps(done).encode()
    workload_id, version = _workload_and_version({"workload": request.workload})
    if request.sla.kind == "deadline":
        from advisor.service.training import recommend_training

        return recommend_training(request, version)
    return _recommend_serving(request, workload_id, version)


def _recommend_serving(request: RecommendRequest, workload_id: str, version: str) -> tuple[dict[str, Any], bytes]:
    from advisor.core import prices as price_tables
    from advisor.service import answers
    from recommender.search import metric_for, search

    hours = float(settings.get("HOURS_PER_MONTH"))
    table = price_tables.from_settings()
    rec_id = request.answer_id(version, table.fingerprint, table.region, hours)
    now = state.current()
    cached = now.answers_by_id.get(rec_id)
    if cached is not None:
        return cached
    model, profiles = fitted_model(workload_id, request.confidence, version)
    if not profiles:
        raise NoFeasibleConfig(f"workload {workload_id!r} has no profiles yet",
                               hint=f"run `advisor profile --workload {workload_id}` or import measurements first",
                               fields={"workload": "no profiles"})
    candidates = platforms.candidates(request.platforms or platforms.searched_by_default())
    footprint = workload_footprint(workload_id)
    if request.traffic is not None:
        from recommender.hybrid import hybrids
        from recommender.traffic import SANDBOX_IDLE_S, search_over

        result = search_over(candidates, model, request.sla, request.traffic, table, hours, footprint.request_bytes,
                             footprint)
        result.considered += hybrids(result.considered, model, request.sla, request.traffic, table, hours,
                                     footprint.request_bytes)
        basis = answers.basis(request, table, profiles, model=model.describe(), rps_assumed=False,
                              traffic=answers.traffic_summary(request.traffic),
                              assumed=[f"an idle sandbox is kept {SANDBOX_IDLE_S / 60:g} minutes (AWS does not "
                                       "publish it); instances scale out one phase ahead"])
    else:
        result = search(candidates, model, request.sla, request.effective_rps, table, hours,
                        footprint.request_bytes, footprint)
        basis = answers.basis(request, table, profiles, model=model.describe())
    from recommender import objectives

    result = objectives.apply(result, request.objective, request.max_usd_month, request.balance)
    basis["objective"] = {"name": request.objective, "max_usd_month": request.max_usd_month,
                          "balance": request.balance if request.objective == "balanced" else None}
    answers.raise_if_none_meets(result, request, basis, "relax the SLA, lower the confidence, or add platforms")
    done = save_answer(rec_id, request, answers.recommendation(
        rec_id, workload_id, request.sla, result, metric_for(request.sla) or "",
        [p.config.to_dict() for p in profiles], basis))
    now.remember_answer(rec_id, done)
    return done


def get_recommendation(rec_id: str) -> dict[str, Any]:
    return store().get_recommendation(rec_id)
