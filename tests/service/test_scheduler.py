"""Scheduled re-profiling: schedules over the CLI and the API, drift against the model's interval (replayed
measurements that slow down, and noise that does not), failed runs recorded, the webhook, the guardrails."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading

import pytest
from click.testing import CliRunner

from advisor import service
from advisor.cli import main
from advisor.service import scheduling
from api import create_app
from tests.support.profiles import REPLAYED_WORKLOAD as WORKLOAD
from tests.support.profiles import replayed_measurements_csv as measurements_csv


@pytest.fixture()
def imported(data_dir):
    service.import_profiles(measurements_csv(seed=1), "history.csv", "csv")
    return data_dir


def _add(data_dir, **extra):
    source = data_dir / "latest.csv"
    if not source.exists():
        source.write_text(measurements_csv(seed=2))
    body = {"workload": WORKLOAD, "job": "reprofile", "backend": "replay", "source": str(source), "every": "1h",
            "sla": "p95<=1000ms", "config": {"platform": "lambda", "memory_mb": 1024}} | extra
    return scheduling.add(body)


def test_noise_within_the_interval_is_not_drift(imported):
    run = scheduling.run_now(_add(imported)["id"])
    assert run["status"] == "succeeded", run["error"]
    outcome = run["outcome"]
    assert outcome["fresh_profiles"] == 3 and not outcome["drift"]
    assert [c["config"] for c in outcome["checks"]] == ["lambda/768MB/x86_64", "lambda/1024MB/x86_64",
                                                         "lambda/1536MB/x86_64"]
    assert outcome["finding"] in ("optimized", "over-provisioned")
    assert run["duration_s"] >= 0 and run["runner"]


def test_slower_measurements_are_drift_and_change_the_finding(imported):
    schedule = _add(imported)
    (imported / "latest.csv").write_text(measurements_csv(slowdown=1.6, seed=3))  # the model got 60% slower
    run = scheduling.run_now(schedule["id"])
    assert run["status"] == "succeeded", run["error"]
    outcome = run["outcome"]
    assert outcome["drift"] and all(c["drift"] for c in outcome["checks"])
    assert "slower" in outcome["checks"][1]["why"]
    # 1024 MB at 1.6x: p95 about 1.6 x 1.08 x (20 + 400/0.58) = 1,230 ms > 1,000 ms: it no longer meets the SLA
    assert outcome["finding"] == "under-provisioned" and outcome["recommended"] != outcome["current"]
    stored = [p for p in service.store().profiles(WORKLOAD) if p.config.memory_mb == 1024]
    assert len(stored) == 1 and stored[0].method == "replay:scheduled"  # the stale figures were superseded


def test_a_failing_job_is_recorded_and_does_not_stop_the_others(imported):
    broken = _add(imported, source=str(imported / "missing.csv"))
    healthy = _add(imported)
    failed = scheduling.run_now(broken["id"])
    assert failed["status"] == "failed" and "missing.csv" in failed["error"]
    assert scheduling.run_now(healthy["id"])["status"] == "succeeded"
    assert [r["status"] for r in scheduling.runs(broken["id"])] == ["failed"]
    cli = CliRunner().invoke(main, ["schedule", "run-now", broken["id"]])
    assert cli.exit_code == 1 and "failed" in cli.output  # a failed run is a failed command


def test_the_webhook_gets_the_finding(imported):
    received = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        schedule = _add(imported, webhook=f"http://127.0.0.1:{server.server_port}/hook")
        run = scheduling.run_now(schedule["id"])
    finally:
        server.shutdown()
    assert run["outcome"]["notified"] == "HTTP 204"
    assert received[0]["schedule"] == schedule["id"] and received[0]["finding"] == run["outcome"]["finding"]


def test_guardrails_block_what_they_should():
    plan = {"sla_margin": 0.3, "cost": {"before_usd_per_month": 100.0, "after_usd_per_month": 130.0}}
    noon = dt.datetime(2026, 11, 24, 12, tzinfo=dt.timezone.utc)
    rails = {"max_monthly_increase_usd": 20.0, "min_sla_margin": 0.1, "quiet_hours": None}
    assert "over the limit 20.00" in scheduling.guardrail_verdict(plan, rails, noon)
    assert scheduling.guardrail_verdict(plan, rails | {"max_monthly_increase_usd": 50.0}, noon) is None
    assert "quiet hours" in scheduling.guardrail_verdict(plan, rails | {"max_monthly_increase_usd": 50.0,
                                                                         "quiet_hours": "22-13"}, noon)
    assert "SLA margin" in scheduling.guardrail_verdict(plan | {"sla_margin": 0.05}, rails, noon)
    assert "would not meet" in scheduling.guardrail_verdict(plan | {"sla_margin": -0.1}, rails, noon)
    cheaper = {"sla_margin": 0.3, "cost": {"before_usd_per_month": 100.0, "after_usd_per_month": 60.0}}
    assert scheduling.guardrail_verdict(cheaper, rails, noon) is None


def test_schedules_over_the_cli_and_the_api(imported):
    runner = CliRunner()
    source = imported / "latest.csv"
    source.write_text(measurements_csv(seed=2))
    added = runner.invoke(main, ["schedule", "add", "--workload", WORKLOAD, "--backend", "replay", "--source",
                                 str(source), "--every", "30m", "--sla", "p95<=1000ms", "--config", "lambda:1024",
                                 "--json"], catch_exceptions=False)
    assert added.exit_code == 0, added.output
    schedule_id = json.loads(added.output)["id"]
    assert json.loads(added.output)["every_s"] == 1800
    assert runner.invoke(main, ["schedule", "pause", schedule_id]).exit_code == 0
    listed = runner.invoke(main, ["schedule", "list"], catch_exceptions=False).output
    assert schedule_id in listed and "paused" in listed
    assert runner.invoke(main, ["schedule", "resume", schedule_id]).exit_code == 0
    ran = runner.invoke(main, ["schedule", "run-now", schedule_id], catch_exceptions=False)
    assert ran.exit_code == 0 and "succeeded" in ran.output
    client = create_app({"TESTING": True}).test_client()
    runs = client.get(f"/schedules/{schedule_id}/runs").get_json()["runs"]
    assert len(runs) == 1 and runs[0]["status"] == "succeeded"
    created = client.post("/schedules", json={"workload": WORKLOAD, "job": "prices", "every": "1d",
                                              "sla": "p95<=1000ms"})
    assert created.status_code == 201
    assert {s["id"] for s in client.get("/schedules").get_json()["schedules"]} == {schedule_id,
                                                                                   created.get_json()["id"]}
    assert client.delete(f"/schedules/{schedule_id}").status_code == 200
    assert client.get(f"/schedules/{schedule_id}/runs").status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"job": "reprofile", "every": "soon"}, "every"),
    ({"job": "sometimes"}, "job"),
    ({"sla": None}, "sla"),
    ({"action": "apply"}, "action"),
    ({"webhook": "ftp://x"}, "webhook"),
    ({"quiet_hours": "late"}, "quiet_hours"),
    ({"job": "import"}, "function"),
    ({"backend": "replay", "source": None}, "source"),
])
def test_bad_schedules_get_the_error_shape_and_store_nothing(imported, body, field):
    base = {"workload": WORKLOAD, "job": "reprofile", "backend": "local", "every": "1d", "sla": "p95<=1000ms"}
    client = create_app({"TESTING": True}).test_client()
    answer = client.post("/schedules", json={k: v for k, v in (base | body).items() if v is not None})
    assert answer.status_code == 400, answer.get_json()
    assert field in answer.get_json()["error"]["fields"] and answer.get_json()["error"]["hint"]
    assert scheduling.list_all() == []
    cli = CliRunner().invoke(main, ["schedule", "run-now", "sch-nope"])
    assert cli.exit_code != 0 and "Traceback" not in cli.output and "schedule list" in cli.output


def test_the_list_says_when_each_schedule_runs_next(profiled):
    import time

    from advisor.scheduler import SchedulerProcess
    from advisor.service import scheduling

    made = scheduling.add({"workload": "ncf-recommender", "sla": "p95<=250ms", "every": "2h"})
    assert scheduling.list_all()[0]["next_run_at"] is None  # no scheduler has run yet
    leader = SchedulerProcess(ttl_s=30)
    try:
        assert leader.step()
        listed = {s["id"]: s for s in scheduling.list_all()}
        assert abs(listed[made["id"]]["next_run_at"] - (time.time() + 7200)) < 60
    finally:
        leader._stop()
    out = CliRunner().invoke(main, ["schedule", "list"]).output
    assert out.splitlines()[0].startswith("SCHEDULE") and "NEXT RUN (UTC)" in out and "2 h" in out
