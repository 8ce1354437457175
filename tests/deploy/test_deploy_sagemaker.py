"""advisor deploy for SageMaker endpoints. moto's server holds the models, endpoint configs, endpoints and the
autoscaling registrations; it does not implement UpdateEndpoint, so a Stubber stands for SageMaker's blue/green
update (its Updating -> InService transitions, and its automatic rollback when an alarm fires)."""

import datetime as dt

import pytest
from botocore.stub import ANY, Stubber

from advisor.core import aws as aws_api
from advisor import deploy, service


@pytest.fixture()
def endpoint(aws, profiled):  # noqa: F811
    sm, iam = aws_api.client("sagemaker"), aws_api.client("iam")
    role = iam.create_role(RoleName="sm-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    sm.create_model(ModelName="recs-model", ExecutionRoleArn=role, PrimaryContainer={"Image": "tf-serving"})
    sm.create_endpoint_config(EndpointConfigName="recs-v1", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "recs-model", "InstanceType": "ml.m5.large",
        "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="recs", EndpointConfigName="recs-v1")
    rec = service.recommend({"workload": "ncf-recommender", "sla": "p95<=60ms", "rps": 150,
                             "platform": ["sagemaker-realtime"]})
    assert rec["chosen"]["instance_type"] != "ml.m5.large" or rec["chosen"]["instance_count"] != 1
    return sm, rec


def _describe(config, status="InService", reason=None):
    body = {"EndpointName": "recs", "EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/recs",
            "EndpointConfigName": config, "EndpointStatus": status, "CreationTime": dt.datetime.now(),
            "LastModifiedTime": dt.datetime.now()}
    if reason:
        body["FailureReason"] = reason
    return body


def test_plan_then_blue_green_apply_with_autoscaling(endpoint):
    sm, rec = endpoint
    plan = service.plan_deployment({"recommendation": rec["id"], "endpoint": "recs", "alarms": ["recs-5xx"],
                                    "canary_percent": 10})
    assert [a["action"] for a in plan["actions"]] == ["create-endpoint-config", "update-endpoint",
                                                       "register-autoscaling"]
    assert plan["cost"]["lines"][1].startswith("+ sagemaker-realtime/")
    new_config = "recs-" + plan["id"].removeprefix("plan-")[:8]
    updater = aws_api.client("sagemaker")
    stub = Stubber(updater)
    stub.add_response("update_endpoint", {"EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/recs"},
                      {"EndpointName": "recs", "EndpointConfigName": new_config, "DeploymentConfig": ANY})
    stub.add_response("describe_endpoint", _describe("recs-v1", "Updating"), {"EndpointName": "recs"})
    stub.add_response("describe_endpoint", _describe(new_config), {"EndpointName": "recs"})
    with stub:
        outcome = deploy.apply_sagemaker(plan, sm, updater=updater, autoscaling=aws_api.client(
            "application-autoscaling"), poll_s=0)
    assert outcome["changed"] and outcome["steps"] == ["create-endpoint-config", "update-endpoint",
                                                       "register-autoscaling"]
    variant = sm.describe_endpoint_config(EndpointConfigName=new_config)["ProductionVariants"][0]
    assert (variant["InstanceType"], variant["InitialInstanceCount"]) == (rec["chosen"]["instance_type"],
                                                                          rec["chosen"]["instance_count"])
    targets = aws_api.client("application-autoscaling").describe_scalable_targets(ServiceNamespace="sagemaker")
    assert targets["ScalableTargets"][0]["MinCapacity"] == rec["chosen"]["instance_count"]


def test_sagemaker_rolls_back_on_an_alarm_and_the_new_config_is_removed(endpoint):
    sm, rec = endpoint
    plan = service.plan_deployment({"recommendation": rec["id"], "endpoint": "recs", "alarms": ["recs-5xx"]})
    updater = aws_api.client("sagemaker")
    stub = Stubber(updater)
    stub.add_response("update_endpoint", {"EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/recs"},
                      {"EndpointName": "recs", "EndpointConfigName": ANY, "DeploymentConfig": ANY})
    stub.add_response("describe_endpoint", _describe("recs-v1", "RollingBack"), {"EndpointName": "recs"})
    stub.add_response("describe_endpoint", _describe("recs-v1", reason="Alarm recs-5xx fired during the update"),
                      {"EndpointName": "recs"})
    with stub, pytest.raises(deploy.RolledBack) as err:
        deploy.apply_sagemaker(plan, sm, updater=updater, poll_s=0)
    assert "recs-5xx" in err.value.message and "recs-v1" in err.value.message
    assert [c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]] == ["recs-v1"]


def test_an_update_refused_by_sagemaker_leaves_the_endpoint_as_it_was(endpoint):
    sm, rec = endpoint
    plan = service.plan_deployment({"recommendation": rec["id"], "endpoint": "recs"})
    updater = aws_api.client("sagemaker")
    stub = Stubber(updater)  # stands for SageMaker refusing the update (e.g. an instance quota reached)
    stub.add_client_error("update_endpoint", service_error_code="ResourceLimitExceeded",
                          service_message="The account-level service limit for ml.c5.large is 0 instances")
    with stub, pytest.raises(deploy.RolledBack) as err:
        deploy.apply_sagemaker(plan, sm, updater=updater, poll_s=0)
    assert "still serves recs-v1" in err.value.message
    assert sm.describe_endpoint(EndpointName="recs")["EndpointConfigName"] == "recs-v1"
    assert len(sm.list_endpoint_configs()["EndpointConfigs"]) == 1


def test_an_endpoint_already_as_recommended_is_left_alone(endpoint):
    sm, rec = endpoint
    plan = service.plan_deployment({"recommendation": rec["id"], "endpoint": "recs"})
    chosen = rec["chosen"]
    sm.create_endpoint_config(EndpointConfigName="recs-v2", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "recs-model", "InstanceType": chosen["instance_type"],
        "InitialInstanceCount": chosen["instance_count"]}])
    sm.delete_endpoint(EndpointName="recs")
    sm.create_endpoint(EndpointName="recs", EndpointConfigName="recs-v2")
    assert deploy.apply_sagemaker(plan, sm)["changed"] is False
    assert service.plan_deployment({"recommendation": rec["id"], "endpoint": "recs"})["actions"] == []
