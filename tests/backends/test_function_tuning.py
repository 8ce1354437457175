"""Tuning a user's existing Lambda function in place, against moto's server: a version per size, the original
configuration back afterwards whatever happened, the cost bound stated from the function's own timeout. Invocations
go through a Stubber: moto cannot run the function's code without Docker, so it returns no REPORT line."""

import base64
import io
import json
import zipfile

import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from advisor import service
from advisor.backends.aws.function_tuning import FunctionTuning
from advisor.core import aws as aws_api
from advisor.core.domain import Config
from advisor.core.errors import BadInput


def _function(control, memory=256, timeout=30, architecture="x86_64"):
    role = aws_api.client("iam").create_role(RoleName="app", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return event\n")
    return control.create_function(FunctionName="recs", Runtime="python3.11", Role=role, Handler="app.handler",
                                   Code={"ZipFile": buf.getvalue()}, MemorySize=memory, Timeout=timeout,
                                   Architectures=[architecture], Environment={"Variables": {"MODEL": "v7"}})


def _invoked(duration, memory, init=None):
    """Lambda's Invoke response with LogType=Tail: the REPORT line of the invocation."""
    line = (f"REPORT RequestId: 1\tDuration: {duration:.2f} ms\tBilled Duration: {int(duration) + 1} ms\t"
            f"Memory Size: {memory} MB\tMax Memory Used: 90 MB" + (f"\tInit Duration: {init:.2f} ms" if init else ""))
    body = b"{}"
    return {"StatusCode": 200, "LogResult": base64.b64encode(line.encode()).decode(),
            "Payload": StreamingBody(io.BytesIO(body), len(body))}


def test_tuning_publishes_a_version_per_size_and_restores_the_function(aws):  # noqa: F811
    control, invoker = aws_api.client("lambda"), aws_api.client("lambda")
    _function(control)
    stub = Stubber(invoker)  # stands for Lambda running the function's code and returning its REPORT line
    for memory in (512, 1024):
        stub.add_response("invoke", _invoked(300.0, memory, init=800.0))
        for d in (101.0, 99.0, 103.0):
            stub.add_response("invoke", _invoked(d * 512 / memory, memory))
    with stub, FunctionTuning("recs", "recs", control=control, invoker=invoker) as tuning:
        small = tuning.trial(Config("lambda", memory_mb=512), {"user": 1}, invocations=2, warmup=1)
        seen = control.get_function_configuration(FunctionName="recs", Qualifier=tuning.published[0])
        assert seen["MemorySize"] == 512 and seen["Environment"]["Variables"]["MODEL"] == "v7"
        large = tuning.trial(Config("lambda", memory_mb=1024), {"user": 1}, invocations=2, warmup=1)
    assert small.feasible and large.summary["p50_ms"] < small.summary["p50_ms"]
    now = control.get_function_configuration(FunctionName="recs")
    assert now["MemorySize"] == 256 and now["Environment"]["Variables"] == {"MODEL": "v7"}
    versions = [v["Version"] for v in control.list_versions_by_function(FunctionName="recs")["Versions"]]
    assert versions == ["$LATEST"]  # the versions made for the tuning are gone


def test_an_interrupted_tuning_still_restores_the_function(aws):  # noqa: F811
    control = aws_api.client("lambda")
    _function(control)
    with pytest.raises(KeyboardInterrupt):
        with FunctionTuning("recs", "recs", control=control) as tuning:
            tuning.prepare(Config("lambda", memory_mb=2048))
            raise KeyboardInterrupt  # as SIGINT would, between the change and the invocations
    assert control.get_function_configuration(FunctionName="recs")["MemorySize"] == 256


def test_tuning_keeps_the_functions_architecture(aws):  # noqa: F811
    control = aws_api.client("lambda")
    _function(control, architecture="arm64")
    with FunctionTuning("recs", "recs", control=control) as tuning, pytest.raises(BadInput) as refused:
        tuning.prepare(Config("lambda", memory_mb=1024))
    assert "lambda:1024:arm64" in refused.value.hint


def test_the_cost_is_bounded_by_the_functions_own_timeout_before_anything_starts(aws, data_dir):  # noqa: F811
    _function(aws_api.client("lambda"), timeout=30, architecture="arm64")
    plan = service.estimate({"function": "recs", "payload": {"user": 1}})
    assert plan["workload"] == "recs" and plan["backend"] == "aws"
    assert plan["configs"] and all(key.endswith("/arm64") for key in plan["configs"])  # the function's architecture
    # each size: 43 invocations (40 + a cold start + 2 warm-ups) at the 30 s timeout, arm64 price, plus requests
    by_hand = sum((43 * 30.0 * (int(k.split("/")[1][:-2]) / 1024) * 0.0000133334) + 43 * 0.2e-6
                  for k in plan["configs"])
    assert plan["max_usd"] == pytest.approx(by_hand, rel=1e-6)
    with pytest.raises(BadInput) as over:
        service.profile({"function": "recs", "payload": {}, "max_usd": 0.01})
    assert over.value.fields == {"max_usd": "exceeded"}
    with pytest.raises(BadInput) as no_payload:
        service.profile({"function": "recs"})
    assert no_payload.value.fields == {"payload": "required"}
    assert service.list_workloads() and "recs" not in [w["id"] for w in service.list_workloads()]


def test_the_cli_states_the_cost_and_reads_the_payload(aws, data_dir, tmp_path):  # noqa: F811
    from click.testing import CliRunner

    from advisor.cli import main

    _function(aws_api.client("lambda"))
    (tmp_path / "event.json").write_text(json.dumps({"user": 1}))
    result = CliRunner().invoke(main, ["profile", "--function", "recs", "--payload", str(tmp_path / "event.json"),
                                       "--config", "lambda:1024", "--max-usd", "0.0001"])
    assert result.exit_code == 2 and "could cost up to $" in result.output and "Traceback" not in result.output
