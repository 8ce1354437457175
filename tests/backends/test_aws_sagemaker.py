"""The SageMaker backend against moto's server: endpoints there are InService at once and invoke_endpoint
answers from a queue; a Stubber stands in for an endpoint that fails to start, which moto cannot do."""

import datetime as dt

import pytest
from botocore.stub import ANY, Stubber

from advisor.core import aws as aws_api
from advisor.backends.aws.sagemaker_trials import SageMakerTrials
from advisor.core.domain import Config


def _role():
    return aws_api.client("iam").create_role(RoleName="sm", AssumeRolePolicyDocument="{}")["Role"]["Arn"]


def test_a_trial_measures_and_deletes_everything(aws):  # noqa: F811
    control = aws_api.client("sagemaker")
    with SageMakerTrials("ncf", _role(), "123456789012.dkr.ecr.us-east-1.amazonaws.com/tf-serving:2.16",
                         "s3://models/ncf.tar.gz", control=control, poll_s=0) as trials:
        profile = trials.trial(Config("sagemaker-realtime", instance_type="ml.c5.large"), {"user_ids": [1]},
                               requests_per_level=10, concurrency=(1, 2))
        tags = control.list_tags(ResourceArn=control.list_endpoints()["Endpoints"][0]["EndpointArn"])["Tags"]
        assert {"Key": "advisor:workload", "Value": "ncf"} in tags
    assert profile.feasible and profile.method == "aws:sagemaker"
    assert profile.summary["samples"] == 10 and len(profile.summary["load_curve"]) == 2
    assert profile.summary["capacity_rps"] > 0
    assert control.list_endpoints()["Endpoints"] == [] and control.list_models()["Models"] == []
    assert control.list_endpoint_configs()["EndpointConfigs"] == []


def test_the_cloudwatch_cross_check_reads_model_latency_in_microseconds(aws):  # noqa: F811
    metrics = aws_api.client("cloudwatch")
    now = dt.datetime.now(dt.timezone.utc)
    metrics.put_metric_data(Namespace="AWS/SageMaker", MetricData=[{
        "MetricName": "ModelLatency", "Timestamp": now, "Value": 12500.0, "Unit": "Microseconds",
        "Dimensions": [{"Name": "EndpointName", "Value": "ep"}, {"Name": "VariantName", "Value": "trial"}]}])
    trials = SageMakerTrials("ncf", "arn:aws:iam::123456789012:role/r", "img", metrics=metrics)
    assert trials.model_latency_ms("ep", now - dt.timedelta(minutes=5)) == pytest.approx(12.5)


def test_an_endpoint_that_fails_to_start_makes_the_config_infeasible(aws):  # noqa: F811
    control = aws_api.client("sagemaker")
    stub = Stubber(control)  # stands for SageMaker failing to start the container on that instance type
    stub.add_response("create_model", {"ModelArn": "arn:aws:sagemaker:us-east-1:123456789012:model/m"},
                      {"ModelName": ANY, "ExecutionRoleArn": ANY, "PrimaryContainer": ANY, "Tags": ANY})
    stub.add_response("create_endpoint_config", {"EndpointConfigArn": "arn:aws:sagemaker:us-east-1:1:endpoint-config/c"},
                      {"EndpointConfigName": ANY, "ProductionVariants": ANY, "Tags": ANY})
    stub.add_response("create_endpoint", {"EndpointArn": "arn:aws:sagemaker:us-east-1:1:endpoint/e"},
                      {"EndpointName": ANY, "EndpointConfigName": ANY, "Tags": ANY})
    stub.add_response("describe_endpoint", {
        "EndpointName": "e", "EndpointArn": "arn:aws:sagemaker:us-east-1:1:endpoint/e", "EndpointConfigName": "c",
        "EndpointStatus": "Failed", "FailureReason": "The primary container failed to load the model: OOM",
        "CreationTime": dt.datetime.now(), "LastModifiedTime": dt.datetime.now()})
    for op in ("delete_endpoint", "delete_endpoint_config", "delete_model"):
        stub.add_response(op, {})
    with stub, SageMakerTrials("ncf", "arn:aws:iam::123456789012:role/r", "img", control=control, poll_s=0) as trials:
        profile = trials.trial(Config("sagemaker-realtime", instance_type="ml.t2.medium"), {})
    assert not profile.feasible and "failed to load the model" in profile.note
    stub.assert_no_pending_responses()  # all three were deleted
