"""A hybrid recommendation deployed against moto's server: the plan has both parts (the endpoint for the base load,
the function for the bursts) and states the routing rule; it changes nothing until applied."""

from click.testing import CliRunner

from advisor import service
from advisor.cli import main
from advisor.core import aws as aws_api
from tests.support.profiles import instance_profile, lambda_profile

SPIKY = [[300.0, 22.0], [300.0, 1.0], [3000.0, 1.0]]


def test_a_hybrid_is_planned_in_two_parts_with_its_routing_rule(aws, data_dir):  # noqa: F811
    service.store().add_profiles([lambda_profile("w", m) for m in (1024, 1769, 2560)]
                                 + [instance_profile("w", "ml.c5.large", capacity=80.0)])
    rec = service.recommend({"workload": "w", "sla": "p95<=250ms", "traffic": SPIKY,
                             "platform": "lambda,sagemaker-realtime"})
    assert rec["chosen"].get("hybrid")
    lam, sm, iam = aws_api.client("lambda"), aws_api.client("sagemaker"), aws_api.client("iam")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam.create_function(FunctionName="recs", Runtime="python3.11", Role=role, Handler="h.h", Code={"ZipFile": b"PK"},
                        MemorySize=1024)
    lam.create_alias(FunctionName="recs", Name="live", FunctionVersion=lam.publish_version(FunctionName="recs")["Version"])
    sm.create_model(ModelName="m", ExecutionRoleArn=role, PrimaryContainer={"Image": "tf-serving"})
    sm.create_endpoint_config(EndpointConfigName="recs-v1", ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": "m", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}])
    sm.create_endpoint(EndpointName="recs", EndpointConfigName="recs-v1")

    plan = service.plan_deployment({"recommendation": rec["id"], "function": "recs", "endpoint": "recs"})
    endpoint_part, function_part = plan["parts"]
    assert endpoint_part["target"]["kind"] == "sagemaker" and function_part["target"]["kind"] == "lambda"
    assert endpoint_part["desired"]["instance_count"] == rec["chosen"]["hybrid"]["endpoint"]["instance_count"]
    assert function_part["desired"]["memory_mb"] == rec["chosen"]["hybrid"]["function"]["memory_mb"]
    assert plan["routing"] == rec["chosen"]["hybrid"]["routing"] and "requests per second" in plan["routing"]
    assert lam.get_function_configuration(FunctionName="recs")["MemorySize"] == 1024  # a plan changes nothing
    printed = CliRunner().invoke(main, ["deploy", "--recommendation", rec["id"], "--function", "recs",
                                        "--endpoint", "recs"])
    assert printed.exit_code == 2 and "routing:" in printed.output and "two parts" in printed.output
    missing = CliRunner().invoke(main, ["deploy", "--recommendation", rec["id"], "--function", "recs"])
    assert missing.exit_code == 2 and "function and an endpoint" in missing.output
