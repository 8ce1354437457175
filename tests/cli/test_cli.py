"""The CLI: results with units, errors as message + hint with exit 2 (bad input) or 1 (failure), never a traceback."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from advisor.cli import main


@pytest.fixture()
def run(profiled):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


def test_recommend_prints_the_considered_table_with_units(run):
    result = run("recommend", "--workload", "ncf-recommender", "--sla", "p95<=60ms", "--rps", "40")
    assert result.exit_code == 0, result.output
    assert "CHOSEN" in result.output and "Considered configurations" in result.output
    assert " ms" in result.output and "/month" in result.output and "/hour" in result.output


def test_recommend_json_is_one_object(run):
    result = run("recommend", "--workload", "ncf-recommender", "--sla", "p95<=60ms", "--json")
    data = json.loads(result.output)
    assert data["chosen"]["platform"] in ("lambda", "sagemaker-realtime", "sagemaker-serverless")
    assert data["basis"]["rps_assumed"] is True


@pytest.mark.parametrize("args, code, text", [
    (["recommend", "--workload", "nope", "--sla", "p95<=250ms"], 2, "unknown workload"),
    (["recommend", "--workload", "ncf-recommender", "--sla", "p95<=fast"], 2, "cannot parse SLA"),
    (["recommend", "--workload", "ncf-recommender", "--sla", "p95<=-1ms"], 2, "must be positive"),
    (["recommend", "--workload", "ncf-recommender", "--sla", "p95<=250ms", "--platform", "mainframe"], 2,
     "unknown platform"),
    (["recommend", "--workload", "ncf-recommender", "--sla", "p95<=0.01ms"], 2, "no candidate meets"),
    (["profile", "--workload", "ncf-recommender", "--config", "sagemaker-realtime:ml.c5.huge"], 2,
     "unknown instance type"),
    (["profile", "--workload", "ncf-recommender", "--config", "lambda:lots"], 2, "not a whole number"),
    (["prices", "show", "--region", "mars-north-1"], 2, "no price table"),
    (["profile", "--workload", "ncf-recommender", "--strategy", "adaptive"], 2, "needs the SLA"),
    (["profile", "--workload", "ncf-recommender", "--max-usd", "-1"], 2, "max_usd must be at least 0"),
    (["profiles", "import", "/nonexistent/file.csv"], 2, "no such file"),
    (["profile", "--workload", "ncf-recommender", "--platform", "mainframe"], 2, "unknown platform"),
    (["profile", "--workload", "ncf-recommender", "--platform", "ec2"], 2, "nothing to profile"),
    (["profile", "--workload", "ncf-recommender", "--config", "lambda:1024:arm64"], 2, "nothing to profile"),
    (["workloads", "add", "m", "--model", "/nonexistent/m.keras", "--sample", "/nonexistent/s.json"], 2,
     "no such file"),
    (["workloads", "remove", "ncf-recommender", "-y"], 2, "built in"),
    (["workloads", "show", "nope"], 2, "unknown workload"),
    (["recommend", "--workload", "ncf-recommender", "--sla", "p95<=60ms", "--objective", "speed"], 2,
     "fastest within a budget"),
])
def test_errors_have_a_message_a_hint_and_no_traceback(run, args, code, text):
    result = run(*args)
    assert result.exit_code == code, result.output
    assert text in result.output and "hint:" in result.output
    assert "Traceback" not in result.output


def test_errors_in_json_mode_use_the_error_shape(run):
    result = run("recommend", "--workload", "ncf-recommender", "--sla", "p95<=fast", "--json")
    assert result.exit_code == 2
    err = json.loads(result.output)["error"]
    assert err["code"] == "bad_input" and err["fields"] == {"sla": "unparseable"} and err["hint"]


def test_an_unusable_store_exits_1_with_a_hint(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(blocker / "sub"))
    from advisor import service

    service.reset_caches()
    result = CliRunner().invoke(main, ["workloads"], catch_exceptions=False)
    service.reset_caches()
    assert result.exit_code == 1 and "hint:" in result.output and "Traceback" not in result.output


def test_prices_show_prints_the_date_and_sources(run):
    result = run("prices", "show")
    assert result.exit_code == 0
    assert "as of 2026-11-01" in result.output and "Sources:" in result.output and "Unpriced here" in result.output


def test_workloads_lists_profile_counts(run):
    result = run("workloads")
    assert "ncf-recommender " in result.output and "6" in result.output


def test_the_cli_imports_no_heavy_library():
    code = ("import sys, advisor.cli, advisor.service, api; "
            "heavy = [m for m in ('tensorflow', 'sklearn', 'boto3', 'scipy', 'sagemaker') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_aws_trials_state_their_cost_limit_and_configuration(run, monkeypatch, fake_aws_credentials):
    result = run("profile", "--workload", "ncf-recommender", "--backend", "aws", "--config",
                 "sagemaker-realtime:ml.m6i.large")
    assert result.exit_code == 2 and "cannot be bounded" in result.output  # unpriced: no honest cost bound
    result = run("profile", "--workload", "ncf-recommender", "--backend", "aws", "--config",
                 "sagemaker-realtime:ml.c5.large", "--max-usd", "0.05")
    assert result.exit_code == 2 and "could cost up to $0.0765" in result.output  # 0.75 h x $0.102
    result = run("profile", "--workload", "ncf-recommender-train", "--backend", "aws", "--config",
                 "sagemaker-training:ml.c5.xlarge:2", "--max-usd", "0.1")
    assert result.exit_code == 2 and "could cost up to $0.2040" in result.output  # 2 x $0.204 x 0.5 h
    result = run("profile", "--workload", "ncf-recommender", "--backend", "aws", "--max-usd", "0.0001")
    assert result.exit_code == 2 and "could cost up to $" in result.output
    monkeypatch.delenv("ADVISOR_AWS_ROLE_ARN", raising=False)
    result = run("profile", "--workload", "ncf-recommender", "--backend", "aws", "--config", "lambda:1024")
    assert result.exit_code == 2 and "ADVISOR_AWS_ROLE_ARN" in result.output
    assert "1 trials on AWS, costing at most $" in result.output  # stated before anything starts
    monkeypatch.setenv("ADVISOR_AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r")
    result = run("profile", "--workload", "ncf-recommender", "--backend", "aws", "--config",
                 "sagemaker-realtime:ml.c5.large")
    assert result.exit_code == 2 and "ADVISOR_AWS_SAGEMAKER_IMAGE" in result.output


def test_the_default_profile_grid_includes_sagemaker_serverless(run):
    from advisor import service

    assert any(c.platform == "sagemaker-serverless" for c in service.default_grid(None))
    planned = service.estimate({"workload": "ncf-recommender", "platform": "sagemaker-serverless"})["configs"]
    assert planned and all(key.startswith("sagemaker-serverless/") for key in planned)
