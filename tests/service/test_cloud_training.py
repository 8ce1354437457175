"""Training runs on AWS against moto's server. Lambda workers: the run's function is created there and the workers
exchange and checkpoint through its S3; Lambda running the handler (which the server cannot do without Docker) is
stood in for by tests/support/lambda_emulator.py, one process per invocation, re-invoking itself at its time budget
as on Lambda. Training jobs: the server records the job and completes it at once."""

import io
import zipfile

import pytest

from advisor.backends.aws import training_runs as aws_runs
from advisor.core import aws as aws_api
from advisor.core.errors import BadInput, CredentialsMissing, TrialFailed
from advisor.service import training_runs
from tests.support.lambda_emulator import runs_handlers
from tests.support.user_models import needs_tf

TINY = {"workload": "ncf-recommender-tiny", "config": "lambda-training:1769", "workers": 2, "backend": "aws",
        "steps": 3}
ONE_STEP_MS = 60_000  # remaining time at the start: all of it is the 60 s margin, so each invocation makes one step


@pytest.fixture
def aws_run_settings(aws, data_dir, monkeypatch):
    s3 = aws_api.client("s3")
    s3.create_bucket(Bucket="runs")
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("placeholder.txt", "the advisor's package")
    s3.put_object(Bucket="runs", Key="package.zip", Body=package.getvalue())
    role = aws_api.client("iam").create_role(RoleName="runs", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    monkeypatch.setenv("ADVISOR_AWS_ROLE_ARN", role)
    monkeypatch.setenv("ADVISOR_AWS_LAMBDA_CODE", "s3://runs/package.zip")
    real_client = aws_runs.client
    monkeypatch.setattr(aws_runs, "client", lambda service, *a, **k: runs_handlers(real_client(service), ONE_STEP_MS)
                        if service == "lambda" else real_client(service, *a, **k))
    monkeypatch.setattr(aws_runs, "POLL_S", 0.5)
    return s3


@needs_tf
@pytest.mark.tf
def test_lambda_workers_train_through_s3_re_invoking_themselves(aws_run_settings):
    s3 = aws_run_settings
    record = training_runs.run({**TINY, "channel": "s3=runs", "steps": 3})
    assert record["status"] == "succeeded", record.get("error")
    result = record["result"]
    assert result["backend"] == "aws" and result["steps"] == 3
    assert result["invocations_per_worker"] == 3  # one step each, then a re-invocation from the checkpoint
    assert result["loss_first"] is not None and result["loss_last"] is not None
    assert result["held_out"]["rows"] == 4096 and 0 <= result["held_out"]["auc"] <= 1  # worker 0's end score
    assert result["usd_measured"] > 0 and "channel's requests" in result["usd_measured_note"]
    assert aws_api.client("lambda").list_functions()["Functions"] == []  # the run's function is deleted
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="runs", Prefix=f"advisor-runs/{record['id']}/")["Contents"]]
    assert f"advisor-runs/{record['id']}/checkpoint-w1.npz" in keys
    assert sum("/results/w0-" in k for k in keys) == 3
    # every step's segments and aggregates are deleted once the run has ended; S3 would keep (and bill) them
    assert result["channel_items_removed"] > 0
    assert s3.list_objects_v2(Bucket="runs", Prefix=f"grads/{record['id']}/").get("KeyCount") == 0


@needs_tf
@pytest.mark.tf
def test_a_failing_worker_fails_the_run_and_deletes_its_function(aws_run_settings, monkeypatch):
    monkeypatch.setenv("ADVISOR_AWS_TRAINING_OUTPUT", "s3://runs/out")  # checkpoints there; the channel is missing
    with pytest.raises(TrialFailed) as caught:
        training_runs.run({**TINY, "channel": "dynamodb=no-such-table", "steps": 2})
    assert "ResourceNotFoundException" in caught.value.message and "--resume" in caught.value.hint
    assert training_runs.list_runs()[0]["status"] == "failed"
    assert aws_api.client("lambda").list_functions()["Functions"] == []


def test_a_training_job_run_on_sagemaker(aws, data_dir, monkeypatch):
    role = aws_api.client("iam").create_role(RoleName="train", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    for name, value in (("ROLE_ARN", role), ("TRAINING_IMAGE", "123456789012.dkr.ecr.us-east-1.amazonaws.com/t:1"),
                        ("TRAINING_OUTPUT", "s3://out/jobs")):
        monkeypatch.setenv(f"ADVISOR_AWS_{name}", value)
    record = training_runs.run({"workload": "ncf-recommender-train", "config": "sagemaker-training:ml.c5.xlarge:2",
                                "backend": "aws", "steps": 500})
    assert record["status"] == "succeeded" and record["result"]["backend"] == "aws"
    sagemaker = aws_api.client("sagemaker")
    job = sagemaker.describe_training_job(
        TrainingJobName=sagemaker.list_training_jobs()["TrainingJobSummaries"][0]["TrainingJobName"])
    assert job["ResourceConfig"]["InstanceType"] == "ml.c5.xlarge" and job["ResourceConfig"]["InstanceCount"] == 2
    assert job["HyperParameters"]["steps"] == "500"
    assert job["StoppingCondition"]["MaxRuntimeInSeconds"] == 3600  # no prediction: an hour at most


@pytest.mark.parametrize("body, env, field", [
    ({**TINY, "channel": "memcached=10.0.0.5:11211"}, {}, "channel"),
    ({**TINY, "channel": "s3=runs"}, {"ADVISOR_AWS_LAMBDA_CODE": ""}, "backend"),
    ({"workload": "ncf-recommender-train", "config": "sagemaker-training:ml.c5.xlarge", "backend": "aws",
      "steps": 9}, {},
     "backend"),
    ({**TINY, "channel": "s3=runs", "backend": "gcp"}, {}, "backend"),
    ({**TINY, "config": "sagemaker-training:ml.c5.xlarge", "backend": "local"}, {}, "config"),
])
def test_runs_aws_cannot_carry_out_are_refused_before_anything_starts(aws_run_settings, monkeypatch, body, env,
                                                                      field):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(BadInput) as caught:
        training_runs.prepare(body)
    assert field in caught.value.fields
    assert training_runs.list_runs() == []


def test_a_run_on_aws_without_credentials_is_refused(data_dir, no_aws_credentials):
    with pytest.raises(CredentialsMissing):
        training_runs.prepare({**TINY, "channel": "s3=runs"})
    assert training_runs.list_runs() == []
