"""Lambda's REPORT line (text log format) and `platform.report` record (JSON log format), read by the CloudWatch
importer and by the Lambda backend's log tails alike.

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


def parse_report_record(record: dict) -> dict:
    """The same figures from a JSON-format `platform.report` record."""
    metrics = record.get("metrics") or {}
    try:
        return {"duration": float(metrics["durationMs"]), "billed": metrics.get("billedDurationMs"),
                "memory": int(metrics["memorySizeMB"]), "max_memory": metrics.get("maxMemoryUsedMB"),
                "init": metrics.get("initDurationMs"),
                "failed": str(record.get("status", "success")).lower() != "success"}
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"a platform.report record without {exc}") from None


def find_report(log: str) -> dict | None:
    """The REPORT of a log tail, in the text or the JSON log format; None when the tail has none."""
    import json

    for line in reversed(log.splitlines()):
        if line.startswith("REPORT RequestId:"):
            return parse_report_line(line)
        if line.startswith("{") and "platform.report" in line:
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if event.get("type") == "platform.report":
                return parse_report_record(event.get("record") or {})
    return None
