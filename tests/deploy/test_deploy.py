"""advisor deploy for Lambda against moto's server: the plan changes nothing, apply does exactly the plan, a
second apply changes nothing, drift is refused, and a failure halfway is rolled back."""

import json

import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner

from advisor.core import aws as aws_api
from advisor import deploy, service
from advisor.cli import main
from advisor.core.errors import BadInput, Conflict


@pytest.fixture()
def function(aws, profiled):  # noqa: F811
    """The user's function at 512 MB behind alias `live`, and a stored recommendation for the workload."""
    lam, iam = aws_api.client("lambda"), aws_api.client("iam")
    role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam.create_function(FunctionName="recs", Runtime="python3.11", Role=role, Handler="h.h",
                        Code={"ZipFile": b"PK"}, MemorySize=1024)
    version = lam.publish_version(FunctionName="recs")["Version"]
    lam.create_alias(FunctionName="recs", Name="live", FunctionVersion=version)
    rec = service.recommend({"workload": "ncf-recommender", "sla": "p95<=20ms", "rps": 5,
                             "platform": ["lambda"]})
    assert rec["chosen"]["memory_mb"] != 1024
    return lam, rec


def test_the_plan_changes_nothing_and_shows_the_cost_diff(function):
    lam, rec = function
    plan = service.plan_deployment({"recommendation": rec["id"], "function": "recs"})
    assert [a["action"] for a in plan["actions"]] == ["update-function-configuration", "publish-version",
                                                       "move-alias"]
    lines = plan["cost"]["lines"]
    assert lines[0].startswith("- lambda/1024MB/x86_64") and lines[1].startswith("+ " + rec["chosen"]["key"])
    assert lines[2].startswith("~ change:")
    assert plan["sla_margin"] > 0
    assert lam.get_function_configuration(FunctionName="recs", Qualifier="live")["MemorySize"] == 1024


def test_apply_is_exactly_the_plan_and_idempotent(function):
    lam, rec = function
    plan = service.plan_deployment({"recommendation": rec["id"], "function": "recs", "steps": [0.1]})
    outcome = service.apply_plan(plan["id"])
    assert outcome["changed"] and outcome["steps"][-1] == "move-alias"
    live = lam.get_function_configuration(FunctionName="recs", Qualifier="live")
    assert live["MemorySize"] == rec["chosen"]["memory_mb"]
    assert lam.get_alias(FunctionName="recs", Name="live").get("RoutingConfig", {}).get(
        "AdditionalVersionWeights", {}) == {}
    again = service.apply_plan(plan["id"])
    assert not again["changed"]
    assert service.store().get_deployment(plan["id"])["status"] == "unchanged"
    replan = service.plan_deployment({"recommendation": rec["id"], "function": "recs"})
    assert replan["actions"] == []


def test_a_plan_the_function_drifted_from_is_refused(function):
    lam, rec = function
    plan = service.plan_deployment({"recommendation": rec["id"], "function": "recs"})
    lam.update_function_configuration(FunctionName="recs", MemorySize=3008)
    lam.update_alias(FunctionName="recs", Name="live",
                     FunctionVersion=lam.publish_version(FunctionName="recs")["Version"])
    with pytest.raises(Conflict) as err:
        service.apply_plan(plan["id"])
    assert "make a new plan" in err.value.hint


class FailingPublish:
    """The real client (to moto's server), except PublishVersion fails as AWS does when the account's code
    storage is full (CodeStorageExceededException): the fault moto cannot produce on demand."""

    def __init__(self, real):
        self.real = real

    def __getattr__(self, name):
        return getattr(self.real, name)

    def publish_version(self, **kwargs):
        raise ClientError({"Error": {"Code": "CodeStorageExceededException", "Message": "Code storage limit exceeded"}},
                          "PublishVersion")


def test_an_apply_that_fails_halfway_is_rolled_back(function):
    lam, rec = function
    plan = service.plan_deployment({"recommendation": rec["id"], "function": "recs"})
    with pytest.raises(deploy.RolledBack) as err:
        deploy.apply_lambda(plan, FailingPublish(lam))
    assert "restored" in err.value.message and err.value.extra["done"] == ["update-function-configuration"]
    assert lam.get_function_configuration(FunctionName="recs")["MemorySize"] == 1024  # $LATEST put back
    assert lam.get_function_configuration(FunctionName="recs", Qualifier="live")["MemorySize"] == 1024


def test_deploy_command_exit_codes_and_saved_plan(function, tmp_path):
    _, rec = function
    out = tmp_path / "plan.json"
    runner = CliRunner()
    planned = runner.invoke(main, ["deploy", "--recommendation", rec["id"], "--function", "recs", "--out", str(out)],
                            catch_exceptions=False)
    assert planned.exit_code == 2 and "+ " + rec["chosen"]["key"] in planned.output  # 2: changes planned
    applied = runner.invoke(main, ["deploy", "--apply", "--plan", str(out), "-y"], catch_exceptions=False)
    assert applied.exit_code == 2 and "now serves" in applied.output
    again = runner.invoke(main, ["deploy", "--recommendation", rec["id"], "--function", "recs"],
                          catch_exceptions=False)
    assert again.exit_code == 0 and "no changes" in again.output
    assert json.loads(out.read_text())["target"]["function"] == "recs"


def test_deploy_refuses_what_it_cannot_deploy(function):
    _, rec = function
    with pytest.raises(BadInput) as err:
        service.plan_deployment({"recommendation": rec["id"], "function": "no-such-fn"})
    assert err.value.fields == {"function": "not found"}
    ec2 = dict(rec, chosen={"platform": "ec2", "key": "ec2/t2.small x4"}, id="rec-x")
    with pytest.raises(BadInput) as err:
        deploy.plan_lambda(ec2, deploy.LambdaState(1024, "x86_64", "1"), "recs", "live")
    assert "recommend-only" in err.value.hint


def test_deployments_over_the_api(function):
    from api import create_app

    _, rec = function
    client = create_app({"TESTING": True}).test_client()
    created = client.post("/deployments", json={"recommendation": rec["id"], "function": "recs"})
    assert created.status_code == 201
    plan_id = created.get_json()["id"]
    assert client.get(f"/deployments/{plan_id}").get_json()["status"] == "planned"
    applied = client.post(f"/deployments/{plan_id}/apply")
    assert applied.status_code == 200 and applied.get_json()["changed"]
    assert client.post("/deployments", json={"function": "recs"}).status_code == 400
