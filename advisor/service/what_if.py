"""What-if recommendations from a measurements file: at most max_trials of the target's configs are replayed as
trials, every other workload of the file is history, and nothing is written to the store."""

from __future__ import annotations

import hashlib
from typing import Any

from advisor.core import settings
from advisor.core.errors import BadInput
from advisor.service.requests import RecommendRequest


def recommend_from_measurements(request: RecommendRequest) -> dict[str, Any]:
    from advisor import backends
    from advisor.core import prices as price_tables
    from advisor.service import answers
    from profilers.importers import profiles_from_rows, read_csv
    from recommender.adaptive import (cost_function, evaluations, hourly_overrides, recommend_from_profiles,
                                      vcpus_from)
    from recommender.search import SearchResult, metric_for

    text = request.measurements_csv or ""
    profiles = profiles_from_rows(read_csv(text, request.source))
    replay = backends.get("replay", profiles=profiles, workload=request.workload, max_trials=request.max_trials)
    candidates = [c for c in replay.candidates() if request.platforms is None or c.platform in request.platforms]
    if not candidates:
        raise BadInput(f"no config of {request.workload!r} in the file is on the platforms asked",
                       hint="drop --platform or name the file's platforms", fields={"platform": "no candidates"})
    sla, rps = request.sla, request.effective_rps
    hours = float(settings.get("HOURS_PER_MONTH"))
    table = price_tables.from_settings()
    cost = cost_function(sla, rps, table, hourly_overrides(profiles))
    considered = set(candidates)
    history = [p for p in replay.history if p.config in considered]
    history_workloads = len({p.workload for p in history})
    result = recommend_from_profiles(candidates, history, replay.trial, sla, request.max_trials, request.confidence,
                                     cost, vcpus_from(profiles))
    search_result = SearchResult(sla, rps, evaluations(result, sla, rps, hours, request.confidence, history_workloads))
    basis = answers.basis(
        request, table, list(replay.revealed.values()), source=request.source, measured_by=["replay"],
        model="physics first: shapes of the platform fitted to the target's trials; history (other workloads of "
              "the file) only while it predicts the target's trials; trials follow the SLA",
        history_workloads=history_workloads, stopped_because=result.exploration.stopped_because,
        notes=["trials were replayed from the file; nothing was stored"])
    answers.raise_if_none_meets(search_result, request, basis, "relax the SLA or allow more trials (--max-trials)")
    rec_id = request.answer_id(hashlib.sha256(text.encode()).hexdigest())
    return answers.recommendation(rec_id, request.workload, sla, search_result, metric_for(sla) or "",
                                  [c.to_dict() for c in result.exploration.order], basis)
