"""CloudWatch REPORT lines (text and JSON), Power Tuning output and Inference Recommender results."""

import json

import pytest

from advisor import service
from advisor.core.domain import SLA, Config
from advisor.core.errors import BadInput
from profilers.importers import detect, parse, profiles_from_rows
from recommender.model import PerformanceModel

TEXT_LOG = """START RequestId: a1 Version: $LATEST
some application log line
REPORT RequestId: a1\tDuration: 812.50 ms\tBilled Duration: 813 ms\tMemory Size: 1024 MB\tMax Memory Used: 301 MB\tInit Duration: 1245.67 ms
REPORT RequestId: a2\tDuration: 102.10 ms\tBilled Duration: 103 ms\tMemory Size: 1024 MB\tMax Memory Used: 305 MB
REPORT RequestId: a3\tDuration: 98.90 ms\tBilled Duration: 99 ms\tMemory Size: 1024 MB\tMax Memory Used: 305 MB
REPORT RequestId: a4\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 512 MB\tMax Memory Used: 512 MB\tStatus: timeout
"""

JSON_LOG = "\n".join(json.dumps(e) for e in [
    {"time": "2026-11-01T00:00:00Z", "type": "platform.start", "record": {"requestId": "b1"}},
    {"time": "2026-11-01T00:00:01Z", "type": "platform.report", "record": {
        "requestId": "b1", "status": "success",
        "metrics": {"durationMs": 55.5, "billedDurationMs": 56, "memorySizeMB": 2048, "maxMemoryUsedMB": 310}}},
    {"time": "2026-11-01T00:00:02Z", "type": "platform.report", "record": {
        "requestId": "b2", "status": "success",
        "metrics": {"durationMs": 60.5, "billedDurationMs": 61, "memorySizeMB": 2048, "maxMemoryUsedMB": 311,
                    "initDurationMs": 900.0}}},
])

POWER_TUNING = {"results": {"power": "1024", "cost": 2.1e-7, "duration": 120.0, "stateMachine": {},
                            "stats": [{"value": 512, "averageDuration": 240.0, "averagePrice": 2.0e-6},
                                      {"value": 1024, "averageDuration": 121.0, "averagePrice": 2.1e-6},
                                      {"value": 2048, "averageDuration": 70.0, "averagePrice": 2.4e-6}]}}

RECOMMENDER = {"JobName": "j", "Status": "COMPLETED", "InferenceRecommendations": [
    {"Metrics": {"CostPerHour": 0.2, "CostPerInference": 1e-6, "MaxInvocations": 1200, "ModelLatency": 40},
     "EndpointConfiguration": {"EndpointName": "e", "VariantName": "v", "InstanceType": "ml.c5.large",
                               "InitialInstanceCount": 1}, "ModelConfiguration": {}},
    {"Metrics": {"MaxInvocations": 600, "ModelLatency": 90},
     "EndpointConfiguration": {"ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}},
     "ModelConfiguration": {}}]}


def test_formats_are_detected():
    assert detect(TEXT_LOG) == "cloudwatch" and detect(JSON_LOG) == "cloudwatch"
    assert detect(json.dumps({"events": [{"message": "REPORT RequestId: x Duration: 1 ms Memory Size: 128 MB"}]})) \
        == "cloudwatch"
    assert detect(json.dumps(POWER_TUNING)) == "power-tuning"
    assert detect(json.dumps(RECOMMENDER)) == "inference-recommender"
    assert detect("workload,platform,duration_ms\n") == "csv"
    with pytest.raises(BadInput):
        detect("hello world")


def test_report_lines_in_text_format():
    rows, fmt = parse(TEXT_LOG, "log.txt", workload="fn", architecture="arm64")
    assert fmt == "cloudwatch" and len(rows) == 4
    profiles = {p.config.memory_mb: p for p in profiles_from_rows(rows)}
    p1024 = profiles[1024]
    assert p1024.config.architecture == "arm64"
    assert p1024.summary["samples"] == 2 and p1024.summary["p50_ms"] == pytest.approx(100.5)
    assert p1024.summary["cold_start_ms"] == pytest.approx(1245.67 + 812.5)  # apart from the warm figures
    assert p1024.summary["max_memory_used_mb"] == 305
    assert not profiles[512].feasible  # the timed-out invocation


def test_report_records_in_json_format_and_a_filter_log_events_export():
    rows, _ = parse(JSON_LOG, "log.json", workload="fn")
    assert [r.measurement.cold for r in rows] == [False, True]
    export = json.dumps({"events": [{"message": line} for line in TEXT_LOG.splitlines()]})
    rows, _ = parse(export, "export.json", workload="fn")
    assert len(rows) == 4


def test_a_broken_report_refuses_the_file_naming_the_line():
    broken = TEXT_LOG + "REPORT RequestId: a9\tBilled Duration: 5 ms\n"
    with pytest.raises(BadInput) as err:
        parse(broken, "log.txt", workload="fn")
    assert err.value.fields["line"] == "7"
    with pytest.raises(BadInput) as err:
        parse(TEXT_LOG, "log.txt")  # no workload given
    assert "workload" in err.value.fields


def test_power_tuning_output():
    rows, fmt = parse(json.dumps(POWER_TUNING), "pt.json", workload="fn")
    assert fmt == "power-tuning"
    means = {r.config.memory_mb: r.measurement.duration_ms for r in rows}
    assert means == {512: 240.0, 1024: 121.0, 2048: 70.0}
    bad = {"results": {"stats": [{"value": 512}]}}
    with pytest.raises(BadInput) as err:
        parse(json.dumps(bad), "pt.json", workload="fn")
    assert "stats[0]" in err.value.message


def test_inference_recommender_results_give_capacity():
    rows, fmt = parse(json.dumps(RECOMMENDER), "ir.json", workload="m")
    assert fmt == "inference-recommender"
    profiles = profiles_from_rows(rows)
    realtime = next(p for p in profiles if p.config.platform == "sagemaker-realtime")
    assert realtime.summary["capacity_rps"] == pytest.approx(20.0)
    model = PerformanceModel.fit(profiles)
    cap = model.capacity(Config("sagemaker-realtime", instance_type="ml.c5.large"), SLA.parse("p95<=100ms"))
    assert cap.value == pytest.approx(20.0)
    assert next(p for p in profiles if p.config.platform == "sagemaker-serverless").config.memory_mb == 2048


def test_import_through_the_service_records_the_format(data_dir):
    result = service.import_profiles(TEXT_LOG, "log.txt", "auto", "my-fn")
    assert result["format"] == "cloudwatch" and result["profiles"] == 2
    assert {p.method for p in service.store().profiles("my-fn")} == {"import:cloudwatch"}
