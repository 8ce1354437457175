"""Missing AWS credentials are the user's setup to fix: refused before any work starts, with the setting named,
as exit 2 from the CLI and a 400 from the API; nothing is stored."""

import json

import pytest
from click.testing import CliRunner

from advisor import service
from advisor.cli import main
from api import create_app
from tests.support.http import error_of


@pytest.fixture()
def rec_id(profiled):
    return service.recommend({"workload": "ncf-recommender", "sla": "p95<=250ms", "rps": 5})["id"]


@pytest.mark.parametrize("args", [
    ["deploy", "--recommendation", "{rec}", "--function", "recs"],
    ["profile", "--workload", "ncf-recommender", "--backend", "aws", "--config", "lambda:1024"],
    ["profile", "--function", "recs", "--payload", "{event}"],
    ["schedule", "add", "--workload", "ncf-recommender", "--sla", "p95<=250ms", "--action", "apply",
     "--function", "recs"],
])
def test_the_cli_says_which_setting_to_fix_and_exits_2(no_aws_credentials, rec_id, tmp_path, args):
    (tmp_path / "event.json").write_text("{}")
    args = [a.format(rec=rec_id, event=tmp_path / "event.json") for a in args]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "needs AWS credentials" in result.output and "AWS_ACCESS_KEY_ID" in result.output
    assert "Traceback" not in result.output and "this is a bug" not in result.output
    assert json.loads(CliRunner().invoke(main, ["schedule", "list", "--json"]).output) == []


def test_the_api_answers_400_with_the_error_shape(no_aws_credentials, rec_id):
    client = create_app({"TESTING": True}).test_client()
    err = error_of(client.post("/deployments", json={"recommendation": rec_id, "function": "recs"}), 400,
                   "aws_credentials_missing")
    assert err["fields"] == {"credentials": "missing"}
