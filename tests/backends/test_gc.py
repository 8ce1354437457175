"""`advisor gc` against moto's server: only resources tagged advisor:trial and old enough are deleted."""

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from advisor.core import aws as aws_api
from advisor.backends.aws import gc
from advisor.cli import main
from advisor.core.errors import BadInput


def _setup():
    iam, lam, sm = aws_api.client("iam"), aws_api.client("lambda"), aws_api.client("sagemaker")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam.create_function(FunctionName="advisor-trial-old", Runtime="python3.11", Role=role, Handler="h.h",
                        Code={"ZipFile": b"PK"}, Tags={"advisor:trial": "trial-1"})
    lam.create_function(FunctionName="users-own-function", Runtime="python3.11", Role=role, Handler="h.h",
                        Code={"ZipFile": b"PK"}, Tags={"team": "ml"})
    sm.create_model(ModelName="advisor-trial-model", ExecutionRoleArn=role, PrimaryContainer={"Image": "img"},
                    Tags=[{"Key": "advisor:trial", "Value": "trial-2"}])
    return lam, sm


def test_gc_finds_only_tagged_resources_old_enough_and_deletes_them(aws):  # noqa: F811
    lam, sm = _setup()
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=3)
    assert gc.find(lam, sm, older_than_s=3600) == []  # just made: not old enough
    found = gc.find(lam, sm, older_than_s=3600, now=later)
    assert {(f.kind, f.name) for f in found} == {("lambda-function", "advisor-trial-old"),
                                                 ("sagemaker-model", "advisor-trial-model")}
    gc.delete(found, lam, sm)
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["users-own-function"]
    assert sm.list_models()["Models"] == []


def test_gc_command_lists_and_deletes_with_yes(aws):  # noqa: F811
    _setup()
    runner = CliRunner()
    listed = runner.invoke(main, ["gc", "--older-than", "0s", "--json"], catch_exceptions=False)
    assert listed.exit_code == 0 and len(json.loads(listed.output)["found"]) == 2
    assert json.loads(listed.output)["deleted"] == []  # --json without --yes deletes nothing
    deleted = runner.invoke(main, ["gc", "--older-than", "0s", "--yes"], catch_exceptions=False)
    assert deleted.exit_code == 0 and "Deleted 2 resources" in deleted.output
    again = runner.invoke(main, ["gc", "--older-than", "0s"], catch_exceptions=False)
    assert "Nothing tagged advisor:trial" in again.output


def test_ages_parse():
    assert gc.parse_age("90m") == 5400 and gc.parse_age("1d") == 86400
    with pytest.raises(BadInput):
        gc.parse_age("soon")
