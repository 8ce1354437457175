"""The measurements CSV v1 (DESIGN.md): one row per invocation or per run, header required, column order free,
unknown columns ignored. A bad row refuses the whole file, naming its line; nothing is half-read.

Every other importer produces the same `Row` records, so grouping them into profiles happens once, here.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from advisor.core import catalog, platforms
from advisor.core.domain import Config, Measurement, Profile
from advisor.core.errors import AdvisorError, BadInput
from advisor.core.stats import invocation_summary

REQUIRED_COLUMNS = ("workload", "platform", "duration_ms")
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no", ""}


@dataclass
class Row:
    line: int
    workload: str
    config: Config
    measurement: Measurement
    overrides: dict[str, float] = field(default_factory=dict)  # usd_per_hour, vcpus, memory_gib
    features: dict[str, float] = field(default_factory=dict)  # batch_size, payload_bytes, concurrency


def _bool(value: str, column: str) -> bool:
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{column} must be true or false, got {value!r}")


MAX_WHOLE = 2**31 - 1  # counts and sizes: far beyond any real one, within every store's integer


def _number(value: str, column: str, minimum: float = 0.0, integer: bool = False) -> float | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{column} must be a number, got {value!r}") from None
    if not math.isfinite(number) or number < minimum:
        raise ValueError(f"{column} must be a number >= {minimum:g}, got {value!r}")
    if integer and number != int(number):
        raise ValueError(f"{column} must be a whole number, got {value!r}")
    if integer and number > MAX_WHOLE:
        raise ValueError(f"{column} must be at most {MAX_WHOLE:,}, got {value!r}")
    return number


def _row(line: int, raw: dict[str, str]) -> Row:
    workload = (raw.get("workload") or "").strip()
    if not workload:
        raise ValueError("workload is empty")
    platform = (raw.get("platform") or "").strip()
    if platform not in platforms.names():
        raise ValueError(f"unknown platform {platform!r} (one of {', '.join(platforms.names())})")
    memory_sized = platforms.get(platform).memory_sized
    duration = _number(raw.get("duration_ms", ""), "duration_ms")
    if duration is None:
        raise ValueError("duration_ms is required")
    memory = _number(raw.get("memory_mb", ""), "memory_mb", 1, integer=True)
    count = _number(raw.get("instance_count", ""), "instance_count", 1, integer=True) or 1
    overrides = {k: v for k in ("usd_per_hour", "vcpus", "memory_gib")
                 if (v := _number(raw.get(k, ""), k)) is not None}
    instance_type = (raw.get("instance_type") or "").strip() or None
    if not memory_sized:
        if not instance_type:
            raise ValueError(f"{platform} rows need instance_type")
        known = instance_type.removeprefix("ml.") in catalog.INSTANCE_TYPES
        missing = [k for k in ("usd_per_hour", "vcpus", "memory_gib") if k not in overrides]
        if not known and missing:
            raise ValueError(f"instance type {instance_type!r} is not in the catalog: give "
                             + ", ".join(missing))
    config = Config(platform, int(memory) if memory is not None and memory_sized else None,
                    instance_type if not memory_sized else None, int(count),
                    (raw.get("architecture") or "").strip() or "x86_64")
    platforms.validate(config) if memory_sized else None
    measurement = Measurement(
        duration_ms=duration, billed_duration_ms=_number(raw.get("billed_duration_ms", ""), "billed_duration_ms"),
        init_duration_ms=_number(raw.get("init_duration_ms", ""), "init_duration_ms"),
        max_memory_used_mb=_number(raw.get("max_memory_used_mb", ""), "max_memory_used_mb"),
        cold=_bool(raw.get("cold", ""), "cold"), failed=_bool(raw.get("failed", ""), "failed"),
        concurrency=int(c) if (c := _number(raw.get("concurrency", ""), "concurrency", 1, True)) else None)
    features = {k: v for k in ("batch_size", "payload_bytes", "concurrency")
                if (v := _number(raw.get(k, ""), k)) is not None}
    return Row(line, workload, config, measurement, overrides, features)


def read_csv(text: str, source: str = "the file") -> list[Row]:
    """Parse a measurements CSV v1; raise BadInput naming the first bad line."""
    try:
        return _read_csv(text, source)
    except csv.Error as exc:  # a field over the csv module's limit, a stray NUL: malformed CSV, not a bug
        raise BadInput(f"{source}: not a readable CSV: {exc}", hint="no field of a measurements CSV is that long; "
                       "check the file is the CSV itself", fields={"file": "malformed CSV"}) from None


def _read_csv(text: str, source: str) -> list[Row]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise BadInput(f"{source}: the header lacks {', '.join(missing)}",
                       hint="a measurements CSV v1 needs a header with workload, platform and duration_ms",
                       fields={"file": "bad header", "line": "1"})
    reader.fieldnames = header
    rows: list[Row] = []
    for raw in reader:
        line = reader.line_num
        try:
            if None in raw:
                raise ValueError("more fields than the header has")
            rows.append(_row(line, raw))
        except (ValueError, AdvisorError) as exc:
            reason = exc.message if isinstance(exc, AdvisorError) else str(exc)
            raise BadInput(f"{source}: line {line}: {reason}", hint="fix that line; nothing was imported",
                           fields={"file": "bad row", "line": str(line)}) from None
    if not rows:
        raise BadInput(f"{source}: no rows", hint="the file has a header but no measurements",
                       fields={"file": "empty"})
    return rows


def summarise(workload: str, config: Config, rows: list[Row], method: str = "import:csv") -> Profile:
    """One profile per (workload, config): warm percentiles, cold starts apart, failures make it infeasible."""
    ms = [r.measurement for r in rows]
    failed = sum(1 for m in ms if m.failed)
    summary: dict[str, Any] = invocation_summary(ms)
    for row in rows:
        summary.update(row.overrides)
        summary.update({f"feature_{k}": v for k, v in row.features.items()})
    if "capacity_rps" in summary and "load_curve" not in summary and summary["samples"]:
        # one measured load point (e.g. Inference Recommender's maximum): [rps, p50, p95, p99, errors]
        summary["load_curve"] = [[summary["capacity_rps"], summary["p50_ms"], summary["p95_ms"], summary["p99_ms"], 0.0]]
    note = f"{failed} of {len(ms)} runs failed" if failed else ""
    return Profile(workload, config, method, summary, tuple(ms), feasible=failed == 0, note=note)


def profiles_from_rows(rows: Iterable[Row], method: str = "import:csv") -> list[Profile]:
    groups: dict[tuple[str, Config], list[Row]] = defaultdict(list)
    for row in rows:
        groups[(row.workload, row.config)].append(row)
    return [summarise(w, c, rs, method) for (w, c), rs in groups.items()]


def kind_of(rows: Iterable[Row]) -> str:
    return "training" if any(platforms.of(r.config).training for r in rows) else "inference"
