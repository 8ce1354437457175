"""Importers: measurements made elsewhere become Profile records. One module per format; `parse` detects which.

Every importer returns `Row` records (one per invocation or run) or refuses the whole input with BadInput naming
the line or field; `profiles_from_rows` groups them into profiles.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from advisor.core.errors import BadInput
from profilers.importers.csv_v1 import Row, kind_of, profiles_from_rows, read_csv

# The registry: format -> (module under profilers.importers, its reader, whether the format names no workload).
# A reader takes (text, source) and, for formats that name no workload, (workload, architecture) too.
_READERS = {
    "csv": ("csv_v1", "read_csv", False),
    "cloudwatch": ("cloudwatch", "read_reports", True),
    "power-tuning": ("power_tuning", "read_power_tuning", True),
    "inference-recommender": ("inference_recommender", "read_recommendations", True),
}
FORMATS = tuple(_READERS)


def detect(text: str) -> str:
    """Which format TEXT is in, from its content."""
    stripped = text.lstrip()
    if stripped.startswith("{") or stripped.startswith("["):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError:
            data = None  # JSON lines (a log export) rather than one document
        if isinstance(data, dict):
            if "InferenceRecommendations" in data or "EndpointPerformances" in data:
                return "inference-recommender"
            results = data.get("results", data)
            if isinstance(results, dict) and "stats" in results:
                return "power-tuning"
            if "events" in data:
                return "cloudwatch"
    if "REPORT RequestId:" in text or '"platform.report"' in text:
        return "cloudwatch"
    first = stripped.splitlines()[0] if stripped else ""
    if "workload" in first and "," in first:  # a CSV header; read_csv says what it lacks
        return "csv"
    raise BadInput("cannot tell what format this is", hint="give a measurements CSV v1, CloudWatch Logs REPORT lines "
                   "(text or JSON), Lambda Power Tuning output or a DescribeInferenceRecommendationsJob response; "
                   "or name it with --format", fields={"format": "unknown"})


def parse(text: str, source: str = "the file", fmt: str = "auto", workload: str | None = None,
          architecture: str = "x86_64") -> tuple[list[Row], str]:
    """Rows from TEXT in format FMT (or detected); formats without workload ids need WORKLOAD."""
    fmt = detect(text) if fmt == "auto" else fmt
    if fmt not in FORMATS:
        raise BadInput(f"unknown format {fmt!r}", hint="one of: auto, " + ", ".join(FORMATS),
                       fields={"format": "unknown"})
    module, reader, names_no_workload = _READERS[fmt]
    read = getattr(importlib.import_module(f"{__name__}.{module}"), reader)
    if not names_no_workload:
        return read(text, source), fmt
    if not workload:
        raise BadInput(f"{source} is {fmt} output, which does not name the workload",
                       hint="give the workload id, e.g. --workload my-model", fields={"workload": "required"})
    return read(text, source, workload, architecture), fmt


def read_text(path: str | Path) -> str:
    """A file's text, or a BadInput that says why it cannot be read."""
    try:
        return Path(path).read_text()
    except FileNotFoundError:
        raise BadInput(f"no such file: {path}", hint="give the path of a measurements file",
                       fields={"file": "not found"}) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"cannot read {path}: {exc}", hint="give a UTF-8 text file",
                       fields={"file": "unreadable"}) from None


def load_file(path: str | Path) -> list[Row]:
    """A measurements CSV v1 file's rows."""
    return read_csv(read_text(path), source=Path(path).name)


__all__ = ["FORMATS", "Row", "detect", "kind_of", "load_file", "parse", "profiles_from_rows", "read_csv", "read_text"]
