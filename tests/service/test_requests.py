"""One parsed request: the CLI and the API send the same inputs to the service and get the same answer, or the
same error, because the request is validated once, in advisor.service.requests."""

import json

import pytest
from click.testing import CliRunner

from advisor.cli import main
from api import create_app

CSV = "workload,platform,memory_mb,duration_ms\n" + "".join(
    f"{w},lambda,{m},{(20 if w == 'cpu' else 5) * 1769 / m + 3 + k * 0.01:.3f}\n"
    for w in ("cpu", "flat") for m in (512, 1024, 1769, 3008) for k in range(30))


@pytest.fixture()
def both(profiled):
    client = create_app({"TESTING": True}).test_client()
    runner = CliRunner()

    def ask(body, cli_args):
        resp = client.post("/recommend", json=body)
        result = runner.invoke(main, ["recommend", *cli_args, "--json"], catch_exceptions=False)
        return resp.status_code, resp.get_json(), result.exit_code, json.loads(result.output)

    return ask


def test_the_same_stored_request_gets_the_same_answer_from_both(both):
    status, api, code, cli = both({"workload": "ncf-recommender", "sla": "p95<=60ms", "rps": 40, "seed": 7},
                                  ["--workload", "ncf-recommender", "--sla", "p95<=60ms", "--rps", "40", "--seed", "7"])
    assert (status, code) == (200, 0)
    assert api == cli
    assert api["basis"]["seed"] == 7 and api["basis"]["rps_assumed"] is False


def test_the_same_measurements_get_the_same_answer_from_both(both, tmp_path):
    path = tmp_path / "m.csv"
    path.write_text(CSV)
    status, api, code, cli = both(
        {"workload": "cpu", "sla": "p95<=30ms", "max_trials": 3, "measurements_csv": CSV},
        ["--workload", "cpu", "--sla", "p95<=30ms", "--max-trials", "3", "--measurements", str(path)])
    assert (status, code) == (200, 0)
    assert api["basis"].pop("source") == "measurements_csv" and cli["basis"].pop("source") == "m.csv"
    assert api == cli  # the id too: it rests on the measurements' content, not the file's name


@pytest.mark.parametrize("body, args, field", [
    ({"workload": "ncf-recommender", "sla": "p95<=60ms", "max_trials": 3},
     ["--workload", "ncf-recommender", "--sla", "p95<=60ms", "--max-trials", "3"], "max_trials"),
    ({"workload": "ncf-recommender", "sla": "p95<=60ms", "confidence": 1.0},
     ["--workload", "ncf-recommender", "--sla", "p95<=60ms", "--confidence", "1"], None),
    ({"workload": "ncf-recommender", "sla": "p95<=60ms", "platform": "lambda-training"},
     ["--workload", "ncf-recommender", "--sla", "p95<=60ms", "--platform", "lambda-training"], "platform"),
])
def test_bad_input_is_refused_alike_by_both(both, body, args, field):
    status, api, code, cli = both(body, args)
    assert status == 400 and code == 2
    assert api["error"]["code"] == cli["error"]["code"]
    if field:
        assert field in api["error"]["fields"] and api["error"]["fields"] == cli["error"]["fields"]


@pytest.mark.parametrize("value", ["inf", "nan", "1e400"])
def test_a_number_that_is_not_finite_is_refused_alike_by_both(both, value):
    status, api, code, cli = both({"workload": "ncf-recommender", "sla": "p95<=60ms", "rps": float(value)},
                                  ["--workload", "ncf-recommender", "--sla", "p95<=60ms", "--rps", value])
    assert (status, code) == (400, 2)
    assert api["error"]["fields"] == cli["error"]["fields"] == {"rps": "not a finite number"}
