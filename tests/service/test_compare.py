"""The crossover: each family's cheapest config over a range of traffic, where the cheapest family changes (found
within one grid step of a brute-force sweep), its interval, and every bad input refused."""

import pytest
from click.testing import CliRunner

from advisor import service
from advisor.cli import main
from advisor.core.errors import BadInput, NoFeasibleConfig, NotFound
from api import create_app
from tests.support.http import error_of
from tests.support.profiles import instance_profile, lambda_profile

SLA = "p95<=250ms"


@pytest.fixture()
def lambda_and_instances(data_dir):
    """Lambda (4 + 12 / vCPU ms a request) and ml.c5.large (100 rps each): Lambda is cheaper at low traffic."""
    service.store().add_profiles([lambda_profile("w", m) for m in (1024, 1769, 2560)]
                                 + [instance_profile("w", "ml.c5.large", capacity=100.0)])
    return "w"


def _first_change(levels):
    for a, b in zip(levels, levels[1:]):
        if a["cheapest"] != b["cheapest"]:
            return a["rps"], b["rps"]
    return None


def test_the_crossover_lies_within_one_grid_step_of_a_brute_force_sweep(lambda_and_instances):
    body = {"workload": "w", "sla": SLA, "platform": "lambda,sagemaker-realtime", "rps_range": "1..1000"}
    coarse = service.compare({**body, "points_per_decade": 6})
    brute = service.compare({**body, "points_per_decade": 100})
    low, high = _first_change(brute["levels"])
    found = coarse["crossovers"][0]["rps"]
    step = 10 ** (1 / 6)
    assert low / step <= found <= high * step  # within one coarse grid step of where the fine sweep changes
    assert coarse["crossovers"][0]["from"] == "lambda" and coarse["crossovers"][0]["to"] == "sagemaker-realtime"
    lo, hi = coarse["crossovers"][0]["rps_interval"]
    assert lo <= found <= hi  # the interval holds the crossover
    assert coarse["summary"].startswith("lambda (")


def test_each_family_row_is_the_cheapest_of_that_family_at_that_traffic(lambda_and_instances):
    done = service.compare({"workload": "w", "sla": SLA, "rps_range": "10..20", "points_per_decade": 2})
    for row in done["levels"]:
        answer = service.recommend({"workload": "w", "sla": SLA, "rps": row["rps"],
                                    "platform": row["cheapest"]})
        best = row["families"][row["cheapest"]]
        assert answer["chosen"]["key"] == best["key"]
        assert best["usd_per_month_interval"][0] <= best["usd_per_month"] <= best["usd_per_month_interval"][1]


@pytest.mark.parametrize("body, error, field", [
    ({"sla": SLA, "rps_range": "100..10"}, BadInput, "rps_range"),
    ({"sla": SLA, "rps_range": "0..10"}, BadInput, "rps_range"),
    ({"sla": SLA, "rps_range": "lots"}, BadInput, "rps_range"),
    ({"sla": "deadline<=1h"}, BadInput, "sla"),
    ({"sla": SLA, "points_per_decade": 1000}, BadInput, "points_per_decade"),
    ({"sla": SLA, "workload": "nobody"}, NotFound, "workload"),
    ({"sla": SLA, "workload": "ncf-recommender"}, NoFeasibleConfig, "workload"),
])
def test_bad_comparisons_are_refused(lambda_and_instances, body, error, field):
    with pytest.raises(error) as caught:
        service.compare({"workload": "w", **body})
    assert field in caught.value.fields


def test_cli_and_api(lambda_and_instances):
    result = CliRunner().invoke(main, ["compare", "--workload", "w", "--sla", SLA, "--platform",
                                       "lambda,sagemaker-realtime", "--rps-range", "1..1000"])
    assert result.exit_code == 0, result.output
    assert "crossover" in result.output and "lambda is" not in result.output.splitlines()[0]
    assert "$" in result.output and "rps" in result.output
    client = create_app({"TESTING": True}).test_client()
    resp = client.get("/workloads/w/compare?sla=p95<%3D250ms&rps_range=1..1000&platform=lambda,sagemaker-realtime")
    assert resp.status_code == 200 and resp.get_json()["crossovers"]
    error_of(client.get("/workloads/w/compare?sla=p95<%3D250ms&colour=blue"), 400)
    error_of(client.get("/workloads/w/compare?sla=p95<%3D250ms&rps_range=9..1"), 400)
