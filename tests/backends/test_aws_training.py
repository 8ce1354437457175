"""Training slices as SageMaker training jobs. moto's server accepts and records the job (and finishes it at
once, with no billable time or metrics); a Stubber stands for what it cannot give: a job reporting its step metric
and BillableTimeInSeconds, a job stopped at MaxRuntimeInSeconds, and StopTrainingJob on interruption."""

import datetime as dt

import pytest
from botocore.stub import Stubber

from advisor.core import aws as aws_api
from advisor.backends.aws.training_jobs import TrainingSlices
from advisor.core.domain import Config

C5 = Config("sagemaker-training", instance_type="ml.c5.xlarge", instance_count=2)


def _role():
    return aws_api.client("iam").create_role(RoleName="train", AssumeRolePolicyDocument="{}")["Role"]["Arn"]


def _job(status, **extra):
    body = {"TrainingJobName": "j", "TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/j",
            "TrainingJobStatus": status, "SecondaryStatus": "Completed", "CreationTime": dt.datetime.now(),
            "AlgorithmSpecification": {"TrainingInputMode": "File"}, "ResourceConfig": {
                "InstanceType": "ml.c5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 600}, "ModelArtifacts": {"S3ModelArtifacts": "s3://o/m"}}
    body.update(extra)
    return body


def test_a_slice_reads_step_time_and_billable_seconds(aws):  # noqa: F811
    control, watcher = aws_api.client("sagemaker"), aws_api.client("sagemaker")
    stub = Stubber(watcher)
    stub.add_response("describe_training_job", _job("InProgress"))
    stub.add_response("describe_training_job", _job("Completed", BillableTimeInSeconds=412, TrainingTimeInSeconds=412,
                                                    FinalMetricDataList=[{"MetricName": "step_ms", "Value": 85.5,
                                                                          "Timestamp": dt.datetime.now()}]))
    with stub, TrainingSlices("ncf-train", _role(), "img", "s3://out/", control=control, watcher=watcher,
                              poll_s=0) as slices:
        profile = slices.slice(C5, steps=200)
    assert profile.feasible and profile.summary["step_ms"] == 85.5
    assert profile.summary["duration_ms"] == pytest.approx(85.5 * 200)
    assert profile.summary["billable_s"] == 412
    job = control.list_training_jobs()["TrainingJobSummaries"][0]
    described = control.describe_training_job(TrainingJobName=job["TrainingJobName"])
    assert described["StoppingCondition"]["MaxRuntimeInSeconds"] == 1800
    assert described["ResourceConfig"]["InstanceCount"] == 2


def test_a_slice_past_its_runtime_limit_is_infeasible(aws):  # noqa: F811
    control, watcher = aws_api.client("sagemaker"), aws_api.client("sagemaker")
    stub = Stubber(watcher)
    stub.add_response("describe_training_job", _job("Stopped", BillableTimeInSeconds=600,
                                                    FailureReason="Training job reached MaxRuntimeInSeconds"))
    with stub, TrainingSlices("ncf-train", _role(), "img", "s3://out/", control=control, watcher=watcher,
                              poll_s=0) as slices:
        profile = slices.slice(C5, steps=10_000, max_runtime_s=600)
    assert not profile.feasible and "MaxRuntimeInSeconds=600" in profile.note
    assert profile.summary["billable_s"] == 600


def test_an_interrupted_slice_stops_its_job(aws):  # noqa: F811
    control = aws_api.client("sagemaker")
    control.create_training_job(  # the job the interrupted slice had started
        TrainingJobName="advisor-trial-x", RoleArn=_role(), AlgorithmSpecification={
            "TrainingImage": "img", "TrainingInputMode": "File"}, OutputDataConfig={"S3OutputPath": "s3://o/"},
        ResourceConfig={"InstanceType": "ml.c5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
        StoppingCondition={"MaxRuntimeInSeconds": 600})
    stopper = aws_api.client("sagemaker")
    stub = Stubber(stopper)  # stands for StopTrainingJob, which moto does not implement
    stub.add_response("stop_training_job", {}, {"TrainingJobName": "advisor-trial-x"})
    slices = TrainingSlices("ncf-train", "arn:aws:iam::123456789012:role/r", "img", "s3://o/", control=stopper)
    slices._running = "advisor-trial-x"
    with stub:
        with pytest.raises(KeyboardInterrupt):
            with slices:
                raise KeyboardInterrupt
    stub.assert_no_pending_responses()
