"""Traffic as input: phases from a shorthand, a CSV or inline points; each config priced over them (Lambda per
request, instances autoscaled one phase ahead or sized to the peak) and held to the SLA in every phase, with
Lambda's cold starts at low traffic counted into the tail."""

import math

import pytest

from advisor import service
from advisor.core import traffic as traffic_input
from advisor.core.errors import BadInput, NoFeasibleConfig
from api import create_app
from tests.support.http import error_of
from tests.support.profiles import instance_profile, lambda_profile

DAY = [[30.0, 12.0], [250.0, 12.0]]  # half a day at 30 rps, half at 250


@pytest.fixture()
def store(data_dir):
    service.store().add_profiles([lambda_profile("w", m) for m in (1024, 1769, 2560)]
                                 + [instance_profile("w", "ml.c5.large", capacity=100.0)])
    return "w"


def test_the_shorthand_and_a_cloudwatch_export_become_phases():
    day = traffic_input.parse("diurnal:peak=200,trough=5")
    assert len(day.phases) == 24 and day.period_hours == 24
    assert day.mean_rps == pytest.approx(102.5, rel=1e-6)  # a cosine: the mean of peak and trough
    assert 195 < day.peak_rps <= 200 and 5 <= day.trough_rps < 10
    export = "timestamp,invocations\n2026-12-01T00:00:00Z,600\n2026-12-01T00:05:00Z,3000\n2026-12-01T00:10:00Z,300\n"
    five_minutes = traffic_input.parse(export)
    assert [round(r, 3) for r, _ in five_minutes.phases] == [2.0, 10.0, 1.0]  # counts per 300 s
    per_minute = traffic_input.parse("timestamp,requests_per_minute\n0,600\n60,1200\n")
    assert [r for r, _ in per_minute.phases] == [10.0, 20.0]


@pytest.mark.parametrize("value", ["diurnal:peak=5,trough=200", "weekly:peak=1", "timestamp,rps\n0,10\n",
                                   "when,rps\n0,1\n60,2\n", [[1, 0]], [[-1, 1]], [["a", 1]], "constant:rps=0"])
def test_bad_traffic_is_refused(value):
    with pytest.raises(BadInput) as caught:
        traffic_input.parse(value)
    assert "traffic" in caught.value.fields


def test_a_day_of_two_phases_is_priced_as_by_hand(store):
    lam = service.recommend({"workload": "w", "sla": "p95<=250ms", "traffic": DAY, "platform": "lambda"})
    mean_ms = lam["predicted"]["mean_ms"]
    per_request = math.ceil(mean_ms) / 1000 * lam["chosen"]["memory_mb"] / 1024 * 0.0000166667 + 0.2e-6
    mean_rps = (30 * 12 + 250 * 12) / 24
    assert lam["cost"]["usd_per_month"] == pytest.approx(per_request * mean_rps * 3600 * 730, rel=1e-3)

    inst = service.recommend({"workload": "w", "sla": "p95<=250ms", "traffic": DAY, "platform": "sagemaker-realtime"})
    low = inst["predicted"]["capacity_rps_interval"][0]  # instances are counted at the capacity's lower end
    counts = [math.ceil(30 / low), math.ceil(250 / low)]
    hourly = {"ml.c5.large": 0.102}[inst["chosen"]["instance_type"]]
    autoscaled = (0.5 * max(counts) + 0.5 * max(counts)) * hourly * 730  # each phase scales for the next one too
    peak = max(counts) * hourly * 730
    assert inst["over_traffic"]["usd_per_month_autoscaled"] == pytest.approx(autoscaled, rel=1e-3)
    assert inst["over_traffic"]["usd_per_month_peak_sized"] == pytest.approx(peak, rel=1e-3)
    assert inst["chosen"]["instance_count"] == max(counts)


def test_autoscaling_pays_only_where_a_long_quiet_spell_allows(store):
    quiet_then_busy = [[20.0, 20.0], [20.0, 1.0], [300.0, 3.0]]  # the phase before the peak scales out for it
    inst = service.recommend({"workload": "w", "sla": "p95<=250ms", "traffic": quiet_then_busy,
                              "platform": "sagemaker-realtime"})
    over = inst["over_traffic"]
    assert over["sizing"] == "autoscaled" and over["usd_per_month_autoscaled"] < over["usd_per_month_peak_sized"]
    assert [p["instances"] for p in over["phases"]][1] == over["autoscaling"]["max"]  # ready before the peak


def test_lambdas_cold_starts_at_low_traffic_are_counted_into_the_tail(store):
    busy = service.recommend({"workload": "w", "sla": "p95<=1s", "traffic": "constant:rps=10", "platform": "lambda"})
    assert busy["over_traffic"]["phases"][0]["cold_share"] < 0.001
    with pytest.raises(NoFeasibleConfig) as quiet:  # one request every half hour: most start cold (3 s here)
        service.recommend({"workload": "w", "sla": "p95<=1s", "traffic": [[0.0005, 24]], "platform": "lambda"})
    assert "start cold" in quiet.value.extra["closest"][0]["reason"]


def test_traffic_is_refused_beside_rps_and_over_the_api_it_takes_points(store):
    with pytest.raises(BadInput):
        service.recommend({"workload": "w", "sla": "p95<=1s", "traffic": DAY, "rps": 5})
    client = create_app({"TESTING": True}).test_client()
    ok = client.post("/recommend", json={"workload": "w", "sla": "p95<=250ms", "traffic": DAY})
    assert ok.status_code == 200 and ok.get_json()["basis"]["traffic"]["peak_rps"] == 250
    error_of(client.post("/recommend", json={"workload": "w", "sla": "p95<=250ms", "traffic": "hourly:x=1"}), 400)
