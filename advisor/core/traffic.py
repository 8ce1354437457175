"""Traffic as phases: a day (or a week) of request rates, from a shorthand or a CSV of timestamps and rates.

The shorthand `diurnal:peak=P,trough=T` is 24 hourly phases whose rate follows a cosine from T at 04:00 to P at
16:00 (UTC); `constant:rps=R` is one phase. A CSV has a `timestamp` column (ISO 8601 or epoch seconds) and one of
`rps`, `requests_per_second`, `requests_per_minute`, or `invocations` (a count per row, as CloudWatch's Sum of
Invocations exports it, over the spacing of the timestamps). Each row is a phase lasting until the next row; the
last lasts as long as the one before it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from dataclasses import dataclass

from advisor.core.errors import BadInput

HINT = ("'diurnal:peak=200,trough=5', 'constant:rps=40', or a CSV of timestamp and rps (or requests_per_minute, or "
        "invocations per row)")
MAX_PHASES = 10_000


@dataclass(frozen=True)
class Traffic:
    """Phases of (requests per second, hours), in order, repeating over the period."""

    phases: tuple[tuple[float, float], ...]
    source: str

    @property
    def period_hours(self) -> float:
        return sum(h for _, h in self.phases)

    @property
    def mean_rps(self) -> float:
        return sum(r * h for r, h in self.phases) / self.period_hours

    @property
    def peak_rps(self) -> float:
        return max(r for r, _ in self.phases)

    @property
    def trough_rps(self) -> float:
        return min(r for r, _ in self.phases)

    def to_dict(self) -> dict[str, object]:
        return {"source": self.source, "period_hours": round(self.period_hours, 4), "mean_rps": round(self.mean_rps, 4),
                "peak_rps": round(self.peak_rps, 4), "trough_rps": round(self.trough_rps, 4),
                "phases": [[round(r, 4), round(h, 4)] for r, h in self.phases]}


def _checked(phases: list[tuple[float, float]], source: str) -> Traffic:
    if not phases:
        raise BadInput("the traffic has no phases", hint=HINT, fields={"traffic": "empty"})
    if len(phases) > MAX_PHASES:
        raise BadInput(f"the traffic has {len(phases):,} phases, over {MAX_PHASES:,}", hint="aggregate it to "
                       "minutes or hours first", fields={"traffic": "too many phases"})
    for rps, hours in phases:
        if not (math.isfinite(rps) and math.isfinite(hours)) or rps < 0 or hours <= 0 or rps > 1e7:
            raise BadInput(f"a traffic phase of {rps:g} rps for {hours:g} h is not a rate and a duration",
                           hint=HINT, fields={"traffic": "invalid phase"})
    if max(r for r, _ in phases) <= 0:
        raise BadInput("the traffic is zero throughout", hint=HINT, fields={"traffic": "no requests"})
    return Traffic(tuple(phases), source)


def parse_shorthand(text: str) -> Traffic:
    kind, _, rest = text.strip().partition(":")
    values: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        name, _, value = part.partition("=")
        try:
            values[name.strip()] = float(value)
        except ValueError:
            raise BadInput(f"cannot read {part!r} in the traffic {text!r}", hint=HINT,
                           fields={"traffic": "unparseable"}) from None
    if kind == "diurnal" and set(values) == {"peak", "trough"} and values["peak"] >= values["trough"] >= 0:
        peak, trough = values["peak"], values["trough"]
        phases = [(trough + (peak - trough) * (1 - math.cos(2 * math.pi * ((h + 0.5 - 4) % 24) / 24)) / 2, 1.0)
                  for h in range(24)]
        return _checked(phases, f"diurnal: peak {peak:g} rps at 16:00, trough {trough:g} rps at 04:00 (UTC)")
    if kind == "constant" and set(values) == {"rps"}:
        return _checked([(values["rps"], 24.0)], f"constant {values['rps']:g} rps")
    raise BadInput(f"cannot read the traffic {text[:60]!r}", hint=HINT, fields={"traffic": "unparseable"})


def _time(value: str) -> float:
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"timestamp {value!r} is neither ISO 8601 nor epoch seconds") from None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.timezone.utc)
    return stamp.timestamp()


def parse_csv(text: str, source: str = "the traffic file") -> Traffic:
    """Phases from a CSV of timestamps and rates (see the module's docstring)."""
    reader = csv.DictReader(io.StringIO(text))
    header = {h.strip().lower(): h for h in (reader.fieldnames or [])}
    column = next((c for c in ("rps", "requests_per_second", "requests_per_minute", "invocations") if c in header),
                  None)
    if "timestamp" not in header or column is None:
        raise BadInput(f"{source}: the header needs timestamp and one of rps, requests_per_second, "
                       "requests_per_minute or invocations", hint=HINT, fields={"traffic": "bad header"})
    rows: list[tuple[float, float]] = []
    try:
        for raw in reader:
            rows.append((_time(raw[header["timestamp"]]), float(raw[header[column]])))
    except (ValueError, TypeError, csv.Error) as exc:
        raise BadInput(f"{source}: line {reader.line_num}: {exc}", hint=HINT,
                       fields={"traffic": "bad row", "line": str(reader.line_num)}) from None
    rows.sort()
    if len(rows) < 2:
        raise BadInput(f"{source}: needs at least two rows (their spacing is the phase length)", hint=HINT,
                       fields={"traffic": "too short"})
    phases = []
    for k, (start, value) in enumerate(rows):
        seconds = (rows[k + 1][0] - start) if k + 1 < len(rows) else (start - rows[k - 1][0])
        if seconds <= 0:
            raise BadInput(f"{source}: two rows share the timestamp {start:g}", hint="one row per period",
                           fields={"traffic": "duplicate timestamp"})
        rps = {"requests_per_minute": value / 60.0, "invocations": value / seconds}.get(column, value)
        phases.append((rps, seconds / 3600.0))
    return _checked(phases, f"{source}: {len(phases)} phases over {sum(h for _, h in phases):.3g} h")


def parse(value: object, source: str = "traffic") -> Traffic:
    """Traffic from the shorthand, CSV text, or inline points [[rps, hours], ...] (the API's form)."""
    if isinstance(value, list):
        try:
            phases = [(float(r), float(h)) for r, h in value]
        except (TypeError, ValueError):
            raise BadInput("inline traffic is a list of [rps, hours] pairs", hint="e.g. [[5, 8], [200, 4], [40, 12]]",
                           fields={"traffic": "invalid"}) from None
        return _checked(phases, f"{len(phases)} phases given inline")
    if not isinstance(value, str) or not value.strip():
        raise BadInput("traffic is a shorthand, CSV text or a list of [rps, hours]", hint=HINT,
                       fields={"traffic": "invalid"})
    if re.match(r"^\s*[a-z]+:", value) and "\n" not in value.strip():
        return parse_shorthand(value)
    return parse_csv(value, source)
