"""Requests parsed once: the CLI and the API hand the service the same plain dict, and it becomes one validated
value here, so the two front ends cannot disagree about a field."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from advisor.core import platforms
from advisor.core.domain import SLA
from advisor.core.errors import BadInput
from advisor.service.common import _number, answerable, confidence_of, parse_platforms

DEFAULT_RPS = 1.0  # requests per second assumed when a latency SLA comes without one (the answer says so)
DEFAULT_TRIALS = {"latency": 3, "deadline": 6}  # replayed trials of the target, when --max-trials is not given


@dataclass(frozen=True)
class RecommendRequest:
    """What `advisor recommend` and `POST /recommend` ask, validated whole before any work starts."""

    workload: str
    sla: SLA
    rps: float | None  # as given; `effective_rps` is what the search uses
    platforms: tuple[str, ...] | None  # None: the file's configs (measurements) or the default platforms
    confidence: float
    seed: int | None  # recorded in the basis; the search itself makes no random choice
    max_trials: int | None = None  # replayed trials of the target; measurements only
    measurements_csv: str | None = None  # a measurements CSV v1 to replay instead of the store
    source: str = "measurements_csv"  # where the measurements came from, for messages
    samples: int | None = None  # deadline SLAs: samples per epoch
    epochs: float = 1.0  # deadline SLAs
    traffic: Any = None  # advisor.core.traffic.Traffic: phases of traffic instead of one rps
    objective: str = "cost"  # cost, speed (within max_usd_month) or balanced (recommender/objectives.py)
    max_usd_month: float | None = None
    balance: float = 0.5  # balanced: the weight on cost (1 - it on speed)

    @classmethod
    def parse(cls, body: dict[str, Any], source: str = "measurements_csv") -> "RecommendRequest":
        workload = body.get("workload")
        if not workload or not isinstance(workload, str):
            raise BadInput("workload is required", hint="see `advisor workloads`", fields={"workload": "required"})
        if not body.get("sla") or not isinstance(body.get("sla"), str):
            raise BadInput("sla is required", hint="e.g. 'p95<=250ms' or 'deadline<=2h'", fields={"sla": "required"})
        rps = _number(body, "rps", None, float)
        sla = answerable(SLA.parse(body["sla"], rps))
        measurements = body.get("measurements_csv")
        if measurements is not None and not isinstance(measurements, str):
            raise BadInput("measurements_csv must be the CSV's text", hint="post the file's content as a string",
                           fields={"measurements_csv": "not a string"})
        allowed = platforms.names("inference") if sla.kind == "latency" and measurements is None else platforms.names()
        asked = parse_platforms(body.get("platform"), allowed) if body.get("platform") else None
        confidence = confidence_of(body)
        max_trials = _number(body, "max_trials", None, int, 1)
        if max_trials is not None and measurements is None:
            raise BadInput("max_trials applies to measurements (replayed trials)",
                           hint="give --measurements FILE (measurements_csv), or profile live with "
                                "`advisor profile --max-trials`", fields={"max_trials": "unused"})
        if measurements is not None and max_trials is None:
            max_trials = DEFAULT_TRIALS[sla.kind]
        traffic = None
        if body.get("traffic") is not None:
            from advisor.core.traffic import parse as parse_traffic

            if rps is not None or sla.kind != "latency" or measurements is not None:
                raise BadInput("traffic replaces rps, for a latency SLA answered from the store",
                               hint="give either traffic or rps, with an SLA such as 'p95<=250ms'",
                               fields={"traffic": "not with rps, deadlines or measurements"})
            traffic = parse_traffic(body["traffic"])
        objective, max_usd_month, balance = cls._objective(body, sla, measurements)
        return cls(workload=workload, sla=sla, rps=rps, platforms=asked, confidence=confidence,
                   seed=_number(body, "seed", None, int), max_trials=max_trials, measurements_csv=measurements,
                   source=source, samples=_number(body, "samples", None, int, 1),
                   epochs=_number(body, "epochs", 1.0, float, 0.0), traffic=traffic, objective=objective,
                   max_usd_month=max_usd_month, balance=balance)

    @staticmethod
    def _objective(body: dict[str, Any], sla: SLA, measurements: str | None) -> tuple[str, float | None, float]:
        from recommender.objectives import OBJECTIVES

        objective = body.get("objective") or "cost"
        if objective not in OBJECTIVES:
            raise BadInput(f"unknown objective {objective!r}", hint="cost, speed or balanced",
                           fields={"objective": "unknown"})
        max_usd_month = _number(body, "max_usd_month", None, float, 0.0)
        balance = _number(body, "balance", 0.5, float, 0.0)
        if balance > 1:
            raise BadInput("balance is a weight from 0 (speed) to 1 (cost)", hint="e.g. 0.5",
                           fields={"balance": "out of range"})
        if objective != "cost" and (sla.kind != "latency" or measurements is not None):
            raise BadInput(f"the {objective} objective answers latency SLAs from the store",
                           hint="leave --objective out for deadlines and --measurements", fields={"objective": "unsupported"})
        if objective == "speed" and max_usd_month is None:
            raise BadInput("the speed objective is the fastest within a budget", hint="give --max-usd-month",
                           fields={"max_usd_month": "required"})
        return objective, max_usd_month, balance

    @property
    def effective_rps(self) -> float:
        if self.traffic is not None:
            return self.traffic.mean_rps
        return self.rps if self.rps is not None else DEFAULT_RPS

    def to_dict(self) -> dict[str, Any]:
        """The request as stored beside its answer (the measurements by their digest, not their text)."""
        data = asdict(self)
        data["sla"] = self.sla.text
        data["traffic"] = self.traffic.to_dict() if self.traffic is not None else None
        del data["source"]  # a name for messages: the same measurements are the same request
        data["platform"] = list(data.pop("platforms") or ())
        text = data.pop("measurements_csv")
        data["measurements_sha256"] = hashlib.sha256(text.encode()).hexdigest() if text is not None else None
        return data

    def answer_id(self, *basis: Any) -> str:
        """The one recipe for a recommendation's id: the request and what its answer rests on (the profiles'
        version, the price table, ...), so identical inputs get the identical id."""
        text = json.dumps([self.to_dict(), *basis], sort_keys=True, default=str)
        return "rec-" + hashlib.sha256(text.encode()).hexdigest()[:16]
