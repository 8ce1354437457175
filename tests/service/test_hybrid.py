"""Hybrids: an endpoint for the base load and Lambda for the bursts above it. On a spiky day it is cheaper than
either pure option and is recommended, with the routing rule stated; on a flat day it loses and is not."""

import pytest

from advisor import service
from tests.support.profiles import instance_profile, lambda_profile

SPIKY = [[300.0, 22.0], [300.0, 1.0], [3000.0, 1.0]]  # a base of 300 rps and one hour a day at 3,000


@pytest.fixture()
def store(data_dir):
    """Lambda at about $1.6 a month per request a second; ml.c5.large carrying 80 rps for $74 a month."""
    service.store().add_profiles([lambda_profile("w", m) for m in (1024, 1769, 2560)]
                                 + [instance_profile("w", "ml.c5.large", capacity=80.0)])
    return "w"


def _pure(body, platform):
    return service.recommend({**body, "platform": platform})["cost"]["usd_per_month"]


def test_on_a_spiky_day_the_hybrid_beats_both_pure_options(store):
    body = {"workload": "w", "sla": "p95<=250ms", "traffic": SPIKY}
    answer = service.recommend({**body, "platform": "lambda,sagemaker-realtime"})
    hybrid = answer["chosen"].get("hybrid")
    assert hybrid, answer["chosen"]["key"]
    assert answer["cost"]["usd_per_month"] < min(_pure(body, "lambda"), _pure(body, "sagemaker-realtime"))
    assert "requests per second to" in hybrid["routing"] and hybrid["function_key"].startswith("lambda/")
    phases = answer["over_traffic"]["phases"]
    assert phases[0]["to_endpoint"] > 10 * phases[0]["to_function"]  # the base stays on the endpoint
    assert phases[2]["to_function"] > 2000 and phases[2]["to_endpoint"] == phases[0]["to_endpoint"]  # the burst goes
    assert answer["chosen"]["platform"] == "sagemaker-realtime"  # deploy plans the endpoint and the function


def test_on_a_flat_day_the_hybrid_loses_and_a_pure_option_is_chosen(store):
    # a flat load that five endpoint instances carry in full (at the capacity interval's lower end, as counted):
    # nothing is left over for a function to take more cheaply
    one = service.recommend({"workload": "w", "sla": "p95<=250ms", "rps": 100, "platform": "sagemaker-realtime"})
    flat = [[5 * one["predicted"]["capacity_rps_interval"][0] * 0.999, 24.0]]
    body = {"workload": "w", "sla": "p95<=250ms", "traffic": flat, "platform": "lambda,sagemaker-realtime"}
    answer = service.recommend(body)
    assert "hybrid" not in answer["chosen"]
    hybrids = [o for o in answer["alternatives"] if "hybrid" in o]
    assert all(o["cost"]["usd_per_month"] > answer["cost"]["usd_per_month"] for o in hybrids)
