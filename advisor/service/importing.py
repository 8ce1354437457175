"""Importing measurements made elsewhere, all or nothing."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from advisor.core.errors import BadInput
from advisor.service.common import store


def read_file(path: str) -> str:
    """A user's file as text (measurements, a saved plan), or a BadInput that says why it cannot be read."""
    from profilers.importers import read_text

    return read_text(path)


def import_formats() -> tuple[str, ...]:
    """The measurement formats an import reads (besides auto-detection), from the importers' registry."""
    from profilers.importers import FORMATS

    return tuple(FORMATS)


def import_profiles(text: str, source: str = "the file", fmt: str = "auto", workload: str | None = None,
                    architecture: str = "x86_64") -> dict[str, Any]:
    """Import measurements (CSV v1, CloudWatch REPORT lines, Power Tuning or Inference Recommender output) whole,
    in one transaction, or refuse them whole."""
    from profilers.importers import kind_of, parse, profiles_from_rows

    if architecture not in ("x86_64", "arm64"):
        raise BadInput(f"unknown architecture {architecture!r}", hint="x86_64 or arm64",
                       fields={"architecture": "unknown"})
    try:
        rows, fmt = parse(text, source, fmt, workload, architecture)
    except RecursionError:
        raise BadInput(f"{source}: JSON nested too deeply to be measurements", hint="give the file as it was saved",
                       fields={"file": "too deep"}) from None
    profiles = profiles_from_rows(rows, method=f"import:{fmt}")
    by_workload: dict[str, list[Any]] = {}
    for r in rows:
        by_workload.setdefault(r.workload, []).append(r)
    st = store()
    new = {w: (kind_of(items), f"imported from {source}") for w, items in by_workload.items()
           if st.get_workload(w) is None}  # kinds first, so a training file is not filed as inference
    key = hashlib.sha256(json.dumps([text, fmt, workload, architecture]).encode()).hexdigest()
    fresh = st.import_once(key, profiles, new)  # workloads, profiles and the record of it: one transaction
    return {"source": source, "format": fmt, "rows": len(rows), "profiles": len(profiles) if fresh else 0,
            "workloads": sorted(by_workload), "infeasible": sum(1 for p in profiles if not p.feasible),
            "already_imported": not fresh}
