"""The performance model and the search, on profiles drawn from a known curve."""

import math

import pytest

from advisor.core import catalog, platforms, prices
from advisor.core.domain import SLA, Config
from recommender.model import PerformanceModel, Unpredictable, capacity_at, fit_curve
from recommender.search import search
from tests.support.profiles import instance_profile, lambda_profile


def truth(memory_mb, serial=4.0, cpu=12.0):
    return serial + cpu / min(memory_mb / 1769, 6.0)


def test_fit_recovers_the_curve_inside_the_profiled_range():
    shares = [m / 1769 for m in (1024, 1769, 2560, 3538)]
    fit = fit_curve(shares, [truth(s * 1769) for s in shares])
    for m in (1200, 2048, 3008):
        p = fit.predict(m / 1769, 0.9)
        assert p.value == pytest.approx(truth(m), rel=0.03)
        assert p.low <= truth(m) <= p.high and not p.extrapolated


def test_extrapolation_is_flagged_and_spans_no_speedup_to_ideal_scaling():
    shares = [m / 1769 for m in (1024, 1769, 2560)]
    fit = fit_curve(shares, [truth(s * 1769) for s in shares])
    p = fit.predict(8192 / 1769, 0.9)
    assert p.extrapolated
    assert p.high >= truth(2560)  # no speed-up past the data is inside the interval
    assert p.low <= truth(8192)  # and so is ideal scaling


def test_out_of_memory_and_no_basis_are_reasons_not_guesses():
    profiles = [lambda_profile("w", m, peak_mb=700) for m in (1024, 1769, 2560)]
    model = PerformanceModel.fit(profiles)
    small = model.predict(Config("lambda", memory_mb=512), "p95_ms")
    assert isinstance(small, Unpredictable) and "out of memory" in small.reason and "700 MB" in small.reason
    arm = model.predict(Config("lambda", memory_mb=2048, architecture="arm64"), "p95_ms")
    assert isinstance(arm, Unpredictable) and "no basis" in arm.reason
    gpu = model.predict(Config("sagemaker-realtime", instance_type="ml.g5.xlarge"), "p95_ms")
    assert isinstance(gpu, Unpredictable) and "GPU" in gpu.reason


def test_capacity_is_read_off_the_load_curve():
    p = instance_profile("w", "ml.c5.large", service_ms=8.0, capacity=100.0)
    cap, beyond = capacity_at(p.summary, SLA.parse("p95<=100ms"))
    assert 50 < cap < 100 and not beyond
    tight, _ = capacity_at(p.summary, SLA.parse("p95<=40ms"))
    assert tight < cap
    assert capacity_at(p.summary, SLA.parse("p95<=5ms")) is None  # misses even at the lightest load


def test_burstable_types_are_held_to_their_baseline():
    model = PerformanceModel.fit([instance_profile("w", "ml.c5.large", capacity=100.0)])
    sla = SLA.parse("p95<=100ms")
    full = model.capacity(Config("sagemaker-realtime", instance_type="ml.c5.large"), sla)
    burst = model.capacity(Config("sagemaker-realtime", instance_type="ml.t3.medium"), sla)
    assert burst.value == pytest.approx(full.value * catalog.instance_type("t3.medium").baseline_cpu)


def _search(sla_text, rps, profiles, names=("lambda", "sagemaker-realtime", "sagemaker-serverless")):
    model = PerformanceModel.fit(profiles, 0.9)
    return search(platforms.candidates(names), model, SLA.parse(sla_text, rps), rps, prices.load("us-east-1"), 730)


def test_search_picks_the_cheapest_that_meets_and_says_why_others_lost():
    profiles = [lambda_profile("w", m) for m in (1024, 1769, 2560, 3538)] + [instance_profile("w", "ml.c5.large")]
    result = _search("p95<=30ms", 5, profiles)
    chosen = result.chosen
    assert chosen is not None and chosen.meets
    for other in result.feasible[1:]:
        assert other.cost.usd_per_hour >= chosen.cost.usd_per_hour
    reasons = [e.reason for e in result.rejected]
    assert all(reasons)
    assert any(r.startswith("unpriced") for r in reasons)
    assert any(r.startswith("no basis") for r in reasons)
    assert any("predicted p95" in r for r in reasons)


def test_a_tighter_sla_changes_the_answer():
    profiles = [lambda_profile("w", m) for m in (1024, 1769, 2560, 3538)]
    loose = _search("p95<=40ms", 5, profiles, ("lambda",)).chosen
    tight = _search("p95<=15ms", 5, profiles, ("lambda",)).chosen
    assert loose.config.memory_mb < tight.config.memory_mb
    assert truth(tight.config.memory_mb) * 1.1 <= 15.0  # the true p95 (5% noise) meets the tight SLA


def test_high_throughput_moves_to_instances():
    profiles = [lambda_profile("w", m) for m in (1024, 1769, 2560, 3538)] + [
        instance_profile("w", "ml.c5.large", capacity=300.0)]
    low = _search("p95<=60ms", 0.5, profiles).chosen
    high = _search("p95<=60ms", 400, profiles).chosen
    assert low.config.platform == "lambda"
    assert high.config.platform == "sagemaker-realtime" and high.config.instance_count >= 2


def test_no_feasible_candidate_reports_the_closest():
    profiles = [lambda_profile("w", m) for m in (1024, 1769)]
    result = _search("p95<=1ms", 5, profiles, ("lambda",))
    assert result.chosen is None
    closest = result.closest()
    assert closest and all(math.isfinite(e.reach) for e in closest)
    assert closest[0].reach <= closest[-1].reach


def test_pareto_front_is_non_dominated():
    profiles = [lambda_profile("w", m) for m in (1024, 1769, 2560, 3538)] + [instance_profile("w", "ml.c5.large")]
    front = _search("p95<=30ms", 5, profiles).pareto()
    assert len(front) >= 2
    for a, b in zip(front, front[1:]):
        assert a.cost.usd_per_hour <= b.cost.usd_per_hour and a.reach > b.reach
