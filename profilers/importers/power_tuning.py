"""The output of AWS Lambda Power Tuning: average duration (ms) and price per invocation for each memory size.

{"results": {"power": "1024", "cost": ..., "duration": ..., "stats": [{"value": 128, "averageDuration": 2.9,
"averagePrice": 2.1e-7}, ...]}}   (`stats` is present when the execution set includeOutputResults)

Power Tuning keeps averages only, so each size becomes one measurement equal to its mean, as in the MBS data set.
"""

from __future__ import annotations

import json

from advisor.core.domain import Config, Measurement
from advisor.core.errors import BadInput
from profilers.importers.csv_v1 import Row


def read_power_tuning(text: str, source: str, workload: str, architecture: str = "x86_64") -> list[Row]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{source}: not JSON: {exc}", hint="give the state machine's output as it was saved",
                       fields={"file": "not JSON"}) from None
    results = data.get("results", data) if isinstance(data, dict) else None
    stats = results.get("stats") if isinstance(results, dict) else None
    if not isinstance(stats, list) or not stats:
        raise BadInput(f"{source}: no results.stats", hint="run Power Tuning with includeOutputResults: true",
                       fields={"file": "no stats"})
    rows: list[Row] = []
    for k, entry in enumerate(stats):
        try:
            memory = int(entry["value"])
            duration = float(entry["averageDuration"])
            if duration < 0 or memory < 128:
                raise ValueError("a negative duration or a memory size under 128 MB")
        except (KeyError, TypeError, ValueError) as exc:
            raise BadInput(f"{source}: stats[{k}]: {exc}", hint="each entry needs value (MB) and averageDuration (ms)",
                           fields={"file": "bad entry", "line": f"stats[{k}]"}) from None
        rows.append(Row(k + 1, workload, Config("lambda", memory_mb=memory, architecture=architecture),
                        Measurement(duration)))
    return rows
