"""The Lambda backend against moto's server (control plane) and a Stubber for invocations (moto cannot run
Lambda code without Docker, so it returns no REPORT line)."""

import base64
import io
import json
import zipfile

import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from advisor.core import aws as aws_api
from advisor.core.errors import PermissionDenied
from advisor.backends.aws.lambda_trials import TRIAL_TAG, LambdaTrials, classify_failure
from advisor.core.domain import Config
from advisor.core.errors import TrialFailed


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buf.getvalue()


def _role() -> str:
    return aws_api.client("iam").create_role(RoleName="advisor-trial", AssumeRolePolicyDocument="{}")["Role"]["Arn"]


def _report(duration, memory, used, init=None, status=None):
    line = (f"REPORT RequestId: 1f0c\tDuration: {duration:.2f} ms\tBilled Duration: {int(duration) + 1} ms\t"
            f"Memory Size: {memory} MB\tMax Memory Used: {used} MB")
    if init:
        line += f"\tInit Duration: {init:.2f} ms"
    if status:
        line += f"\tStatus: {status}"
    return line


def _invoke_response(log: str, error: str | None = None):
    """The shape of Lambda's Invoke response with LogType=Tail: the last 4 KB of the log, base64 encoded."""
    body = json.dumps({"ok": error is None}).encode()
    response = {"StatusCode": 200, "LogResult": base64.b64encode(log.encode()).decode(), "ExecutedVersion": "1",
                "Payload": StreamingBody(io.BytesIO(body), len(body))}
    if error:
        response["FunctionError"] = error
    return response


def test_trials_create_tag_publish_and_always_delete(aws):  # noqa: F811
    control = aws_api.client("lambda")
    trials = LambdaTrials("ncf", _role(), {"ZipFile": _zip()}, "handler.handler", control=control)
    with trials:
        v1 = trials.prepare(Config("lambda", memory_mb=1024))
        v2 = trials.prepare(Config("lambda", memory_mb=2048))
        assert v1 != v2
        assert control.get_function_configuration(FunctionName=trials.function_name, Qualifier=v2)["MemorySize"] == 2048
        arn = control.get_function(FunctionName=trials.function_name)["Configuration"]["FunctionArn"]
        assert control.list_tags(Resource=arn)["Tags"][TRIAL_TAG] == trials.run_id
    assert control.list_functions()["Functions"] == []  # nothing left behind


def test_an_interrupted_profile_leaves_nothing_behind(aws):  # noqa: F811
    control = aws_api.client("lambda")
    with pytest.raises(KeyboardInterrupt):
        with LambdaTrials("ncf", _role(), {"ZipFile": _zip()}, "handler.handler", control=control) as trials:
            trials.prepare(Config("lambda", memory_mb=1024))
            raise KeyboardInterrupt  # as SIGINT would, mid-profile
    assert control.list_functions()["Functions"] == []


def test_a_trial_reads_cold_and_warm_report_lines(aws):  # noqa: F811
    control = aws_api.client("lambda")
    invoker = aws_api.client("lambda")
    stub = Stubber(invoker)  # stands for Lambda running the code and returning its REPORT line
    stub.add_response("invoke", _invoke_response(_report(812.5, 1024, 301, init=1245.7)))
    for d in (101.0, 99.0, 103.0, 98.0, 102.0):
        stub.add_response("invoke", _invoke_response(_report(d, 1024, 305)))
    with stub, LambdaTrials("ncf", _role(), {"ZipFile": _zip()}, "handler.handler", control=control,
                            invoker=invoker) as trials:
        profile = trials.trial(Config("lambda", memory_mb=1024), {"user_ids": [1]}, invocations=4, warmup=1)
    assert profile.feasible and profile.method == "aws:lambda"
    assert profile.summary["samples"] == 4 and profile.summary["p50_ms"] == pytest.approx(100.5)
    assert profile.summary["cold_start_ms"] == pytest.approx(1245.7 + 812.5)
    assert profile.summary["max_memory_used_mb"] == 305


def test_out_of_memory_and_timeouts_make_the_config_infeasible_not_the_profile_fail(aws):  # noqa: F811
    control, invoker = aws_api.client("lambda"), aws_api.client("lambda")
    stub = Stubber(invoker)  # stands for Lambda killing a sandbox at its memory limit, then one timing out
    oom_log = "Runtime exited with error: signal: killed\n" + _report(900.0, 512, 512, init=300.0)
    stub.add_response("invoke", _invoke_response(oom_log, error="Unhandled"))
    timeout_log = "Task timed out after 3.00 seconds\n" + _report(3000.0, 1024, 400, status="timeout")
    stub.add_response("invoke", _invoke_response(timeout_log, error="Unhandled"))
    with stub, LambdaTrials("ncf", _role(), {"ZipFile": _zip()}, "handler.handler", control=control,
                            invoker=invoker) as trials:
        small = trials.trial(Config("lambda", memory_mb=512), {}, invocations=3)
        slow = trials.trial(Config("lambda", memory_mb=1024), {}, invocations=3)
    assert not small.feasible and small.note.startswith("out of memory")
    assert not slow.feasible and slow.note == "timed out"


def test_access_denied_names_the_permission(aws):  # noqa: F811
    control = aws_api.client("lambda")
    stub = Stubber(control)  # stands for IAM refusing lambda:CreateFunction to these credentials
    stub.add_client_error("create_function", service_error_code="AccessDeniedException", http_status_code=403,
                          service_message="User: arn:aws:iam::123456789012:user/ci is not authorized to perform: "
                                          "lambda:CreateFunction on resource: advisor-trial")
    with stub, pytest.raises(PermissionDenied) as err:
        LambdaTrials("ncf", "arn:aws:iam::123456789012:role/r", {"ZipFile": b"zip"}, "h.h",
                     control=control).prepare(Config("lambda", memory_mb=1024))
    assert err.value.fields["permission"] == "lambda:CreateFunction"
    assert "docs/iam-policy.json" in err.value.hint


def test_throttling_that_outlasts_the_retries_is_a_clear_failure(aws):  # noqa: F811
    control = aws_api.client("lambda")
    stub = Stubber(control)  # stands for Lambda answering 429 TooManyRequests after the client's own retries
    stub.add_client_error("publish_version", service_error_code="TooManyRequestsException", http_status_code=429)
    with stub, pytest.raises(TrialFailed) as err:
        with aws_api.translated("lambda", "PublishVersion"):
            control.publish_version(FunctionName="f")
    assert "throttling" in err.value.message and err.value.hint


def test_failure_classification():
    assert classify_failure(None, "", {"memory": 1024, "max_memory": 300, "failed": False}) is None
    assert classify_failure("Unhandled", "Task timed out after 3.00 seconds", None) == "timed out"
    assert classify_failure("Unhandled", "boom", {"memory": 128, "max_memory": 128, "failed": True}).startswith(
        "out of memory")
    assert "raised an error" in classify_failure("Handled", "ValueError", {"memory": 1024, "max_memory": 90,
                                                                           "failed": False})


def test_forced_cold_starts_and_json_log_format(aws):  # noqa: F811
    control, invoker = aws_api.client("lambda"), aws_api.client("lambda")
    stub = Stubber(invoker)  # stands for Lambda returning log tails in the JSON log format
    report = {"type": "platform.report", "record": {"status": "success", "metrics": {
        "durationMs": 50.0, "billedDurationMs": 50, "memorySizeMB": 2048, "maxMemoryUsedMB": 300}}}
    cold = {"type": "platform.report", "record": {"status": "success", "metrics": {
        "durationMs": 400.0, "billedDurationMs": 400, "memorySizeMB": 2048, "maxMemoryUsedMB": 290,
        "initDurationMs": 900.0}}}
    for _ in range(3):
        stub.add_response("invoke", _invoke_response(json.dumps(cold)))
    for _ in range(3):
        stub.add_response("invoke", _invoke_response('{"level": "INFO", "message": "scored"}\n' + json.dumps(report)))
    with stub, LambdaTrials("ncf", _role(), {"ZipFile": _zip()}, "handler.handler", control=control,
                            invoker=invoker) as trials:
        profile = trials.trial(Config("lambda", memory_mb=2048), {}, invocations=3, warmup=0, cold_starts=3)
        versions = control.list_versions_by_function(FunctionName=trials.function_name)["Versions"]
    assert profile.summary["cold_samples"] == 3 and profile.summary["cold_start_ms"] == pytest.approx(1300.0)
    assert profile.summary["p50_ms"] == pytest.approx(50.0)
    assert len([v for v in versions if v["Version"] != "$LATEST"]) == 3  # one configuration change per cold start


def test_clients_retry_throttling_with_backoff():
    lam = aws_api.client("lambda", endpoint_url="http://127.0.0.1:9")  # never called: only its configuration
    assert lam.meta.config.retries["mode"] == "adaptive" and lam.meta.config.retries["total_max_attempts"] >= 5


def test_a_burst_at_concurrency_counts_its_cold_starts(aws):  # noqa: F811
    control, invoker = aws_api.client("lambda"), aws_api.client("lambda")
    stub = Stubber(invoker)  # stands for Lambda starting a new sandbox for each concurrent request of a burst
    for _ in range(4):
        stub.add_response("invoke", _invoke_response(_report(120.0, 2048, 300, init=800.0)))
    with stub, LambdaTrials("ncf", _role(), {"ZipFile": _zip()}, "handler.handler", control=control,
                            invoker=invoker) as trials:
        profile = trials.burst(Config("lambda", memory_mb=2048), {}, concurrency=4, invocations=4)
    assert profile.summary["burst_cold_starts"] == 4 and profile.summary["burst_concurrency"] == 4
    assert all(m.concurrency == 4 for m in profile.measurements)
