"""CloudWatch Logs REPORT records of a Lambda function, in the text or the JSON log format.

Text:  REPORT RequestId: ... Duration: 12.34 ms Billed Duration: 13 ms Memory Size: 1024 MB Max Memory Used: 87 MB
       Init Duration: 245.67 ms          (Init only on a cold start; newer runtimes add Status: timeout|error)
JSON:  {"type": "platform.report", "record": {"metrics": {"durationMs", "billedDurationMs", "memorySizeMB",
       "maxMemoryUsedMB", "initDurationMs"}, "status": "success"}}
Also the output of `aws logs filter-log-events` ({"events": [{"message": ...}]}). Other log lines are skipped.
"""

from __future__ import annotations

import json

from advisor.core.domain import Config, Measurement
from advisor.core.lambda_report import parse_report_line, parse_report_record
from advisor.core.errors import BadInput
from profilers.importers.csv_v1 import Row

def _messages(text: str) -> list[tuple[int, str]]:
    stripped = text.lstrip()
    if stripped.startswith("{") and '"events"' in stripped[:2000]:
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("events"), list):
            return [(k + 1, str(e.get("message", ""))) for k, e in enumerate(data["events"])]
    return list(enumerate(text.splitlines(), start=1))


def read_reports(text: str, source: str, workload: str, architecture: str = "x86_64") -> list[Row]:
    rows: list[Row] = []
    for line_no, message in _messages(text):
        message = message.strip()
        try:
            if message.startswith("{") and "platform.report" in message:
                event = json.loads(message)
                if event.get("type") != "platform.report":
                    continue
                fields = parse_report_record(event.get("record") or {})
            elif "REPORT RequestId:" in message:
                fields = parse_report_line(message)
            else:
                continue
            config = Config("lambda", memory_mb=fields["memory"], architecture=architecture)
            measurement = Measurement(fields["duration"], fields["billed"], fields["init"], fields["max_memory"],
                                      cold=fields["init"] is not None, failed=fields["failed"])
            rows.append(Row(line_no, workload, config, measurement))
        except (ValueError, json.JSONDecodeError) as exc:
            raise BadInput(f"{source}: line {line_no}: {exc}", hint="fix or remove that record; nothing was imported",
                           fields={"file": "bad record", "line": str(line_no)}) from None
    if not rows:
        raise BadInput(f"{source}: no REPORT records found", hint="export the function's log group, e.g. "
                       "aws logs filter-log-events --filter-pattern REPORT", fields={"file": "no records"})
    return rows
