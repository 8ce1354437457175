"""Lambda's REPORT line, read by the CloudWatch importer and by the Lambda backend's log tails alike.

REPORT RequestId: ... Duration: 12.34 ms Billed Duration: 13 ms Memory Size: 1024 MB Max Memory Used: 87 MB
Init Duration: 245.67 ms   (Init only on a cold start; newer runtimes add Status: timeout|error)
"""

from __future__ import annotations

import re

_FIELDS = {
    "duration": re.compile(r"(?<!Billed )(?<!Init )Duration:\s*([\d.]+)\s*ms"),
    "billed": re.compile(r"Billed Duration:\s*([\d.]+)\s*ms"),
    "memory": re.compile(r"Memory Size:\s*(\d+)\s*MB"),
    "max_memory": re.compile(r"Max Memory Used:\s*(\d+)\s*MB"),
    "init": re.compile(r"Init Duration:\s*([\d.]+)\s*ms"),
    "status": re.compile(r"Status:\s*(\w+)"),
}


def parse_report_line(line: str) -> dict:
    """The figures of one text-format REPORT line; ValueError when duration or memory size is missing."""
    found = {k: m.group(1) for k, rx in _FIELDS.items() if (m := rx.search(line))}
    for needed in ("duration", "memory"):
        if needed not in found:
            raise ValueError(f"a REPORT line without {needed.replace('_', ' ')}")
    return {"duration": float(found["duration"]), "billed": float(found["billed"]) if "billed" in found else None,
            "memory": int(found["memory"]),
            "max_memory": float(found["max_memory"]) if "max_memory" in found else None,
            "init": float(found["init"]) if "init" in found else None,
            "failed": found.get("status", "success").lower() not in ("success",)}
