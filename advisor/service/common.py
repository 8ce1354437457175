"""What every part of the service layer shares: the store, the caches, and parsing of request fields."""

from __future__ import annotations

import json
import logging
import math
from typing import Any, Callable

from advisor.core import platforms, settings
from advisor.core.domain import Config
from advisor.core.errors import BadInput, NotFound
from advisor.service import state
from advisor.store.database import Store

log = logging.getLogger("advisor")
Progress = Callable[[float, str], None]


# -- the store ----------------------------------------------------------------------------------------------------
def store() -> Store:
    """The current State's store (see service/state.py)."""
    return state.current().store


def reset_caches() -> None:
    """Forget an implicit State's store, fitted models and answers: the next call reads the settings afresh."""
    state.forget()


def save_answer(rec_id: str, request: Any, answer: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """Store a recommendation with the request it answers; (the answer, its JSON)."""
    text = json.dumps(answer)
    store().save_recommendation(rec_id, request.workload, request.to_dict(), text,
                                keep_s=float(settings.get("ANSWER_RETENTION_DAYS")) * 86400)
    return answer, text.encode()


# -- parsing shared by the CLI and the API ------------------------------------------------------------------------
def parse_platforms(value: Any, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """Platform names from a comma-separated string or a list; ALLOWED defaults to the inference platforms, and
    nothing given means those the search serves by default."""
    allowed = platforms.names("inference") if allowed is None else allowed
    if value in (None, "", []):
        return platforms.searched_by_default()
    items = value.split(",") if isinstance(value, str) else list(value)
    out = tuple(str(i).strip() for i in items if str(i).strip())
    for item in out:
        if item not in platforms.names():
            raise BadInput(f"unknown platform {item!r}", hint="one or more of: " + ", ".join(allowed),
                           fields={"platform": "unknown"})
        if item not in allowed:
            raise BadInput(f"platform {item!r} does not fit this request", hint="use one of: " + ", ".join(allowed),
                           fields={"platform": "not allowed here"})
    return out


# The highest latency percentile the profiles bound: a profile holds tens of warm invocations, enough for p99 at most.
HIGHEST_PERCENTILE = 99.0


def answerable(sla: Any) -> Any:
    """SLA, when profiles can answer it; a percentile above p99 is refused up front with what it would take."""
    if sla.kind == "latency" and (sla.percentile or 0) > HIGHEST_PERCENTILE + 1e-9:
        needed = math.ceil(10 / (1 - sla.percentile / 100))  # ten invocations beyond the percentile
        raise BadInput(f"p{sla.percentile:g} is not answered: trials measure tens of invocations per config, and "
                       f"a p{sla.percentile:g} needs about {needed:,} to be seen", hint="use p99 or below",
                       fields={"sla": "percentile too high"})
    return sla


def config_from_text(text: str) -> Config:
    """A config from its command-line spelling, PLATFORM:SIZE[:EXTRA], e.g. lambda:1024:arm64 or
    sagemaker-realtime:ml.c5.large:2; its platform reads the rest."""
    platform, _, rest = str(text).partition(":")
    value, _, extra = rest.partition(":")
    if not value:
        raise BadInput(f"cannot parse config {text!r}", hint="e.g. lambda:1024, lambda:1024:arm64, "
                       "sagemaker-realtime:ml.c5.large", fields={"config": "unparseable"})
    return platforms.get(platform).parse(value, extra or None)


def _number(body: dict[str, Any], name: str, default: Any = None, kind: type = float, minimum: float | None = None) -> Any:
    value = body.get(name)
    if value is None:  # absent, or null: the default
        value = default
    if value is None:
        return None
    try:
        number = kind(value)
        finite = math.isfinite(number) and (kind is not float or math.isfinite(float(value)))
    except (TypeError, ValueError, OverflowError):
        number, finite = None, False
    if number is None or not finite:
        raise BadInput(f"{name} must be a finite number, got {str(value)[:40]!r}", hint=f"give {name} as a number",
                       fields={name: "not a finite number"})
    if isinstance(value, bool) or (minimum is not None and number < minimum):
        raise BadInput(f"{name} must be at least {minimum}, got {value!r}", hint=f"give {name} >= {minimum}",
                       fields={name: "out of range"})
    return number


def confidence_of(body: dict[str, Any]) -> float:
    """The probability an answer must meet the SLA with: the request's, or the setting's; from 0.5 to below 1."""
    confidence = _number(body, "confidence", settings.get("CONFIDENCE"), float, 0.5)
    if confidence >= 1:
        raise BadInput("confidence must be below 1", hint="e.g. 0.9", fields={"confidence": "out of range"})
    return confidence


def _workload_id(body: dict[str, Any]) -> str:
    return _workload_and_version(body)[0]


def _workload_and_version(body: dict[str, Any]) -> tuple[str, str]:
    """The request's workload id and its profiles' version, in one query; NotFound if unknown."""
    workload_id = body.get("workload")
    if not workload_id or not isinstance(workload_id, str):
        raise BadInput("workload is required", hint="see `advisor workloads`", fields={"workload": "required"})
    # Up to one second old from this process: other processes' new profiles show within a second.
    version = store().profiles_version(workload_id, max_age_s=1.0)
    if version is None:
        raise NotFound(f"unknown workload {workload_id!r}", hint="see `advisor workloads` for the known ones",
                       fields={"workload": "unknown"})
    return workload_id, version
