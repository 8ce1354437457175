"""Objectives beyond the cheapest: the fastest within a monthly budget, and a balance of cost and speed; each picks
the expected config on a small fixed set of profiles."""

import pytest

from advisor import service
from advisor.core.errors import BadInput
from tests.support.profiles import lambda_profile

BODY = {"workload": "w", "sla": "p95<=100ms", "rps": 5, "platform": "lambda"}


@pytest.fixture()
def store(data_dir):
    """Lambda from 1,024 to 3,538 MB: 4 ms + 12 ms per vCPU a request, faster and dearer as memory grows."""
    service.store().add_profiles([lambda_profile("w", m) for m in (1024, 1769, 2560, 3538)])


def _options(answer):
    chosen = {"key": answer["chosen"]["key"], "cost": answer["cost"], "predicted": answer["predicted"]}
    return [chosen] + answer["alternatives"]


def _upper(o):
    return o["predicted"]["interval"][1]


def test_cost_picks_the_cheapest(store):
    answer = service.recommend(BODY)
    assert answer["cost"]["usd_per_month"] == min(o["cost"]["usd_per_month"] for o in _options(answer))


def test_speed_picks_the_fastest_within_the_budget(store):
    cheapest = service.recommend(BODY)
    budget = sorted(o["cost"]["usd_per_month"] for o in _options(cheapest))[len(_options(cheapest)) // 2]
    fast = service.recommend({**BODY, "objective": "speed", "max_usd_month": budget})
    within = [o for o in _options(cheapest) if o["cost"]["usd_per_month"] <= budget]
    assert _upper(fast) == min(_upper(o) for o in within)
    assert fast["cost"]["usd_per_month"] <= budget
    assert any(r["reason"].startswith("over the budget") for r in fast["rejected"])
    rich = service.recommend({**BODY, "objective": "speed", "max_usd_month": 1e6})
    assert _upper(rich) == min(_upper(o) for o in _options(cheapest))
    assert fast["basis"]["objective"] == {"name": "speed", "max_usd_month": budget, "balance": None}


def test_balanced_minimises_the_weighted_normalised_sum(store):
    every = _options(service.recommend(BODY))
    top_cost = max(o["cost"]["usd_per_month"] for o in every)
    top_speed = max(_upper(o) for o in every)
    for weight in (0.0, 0.5, 1.0):
        answer = service.recommend({**BODY, "objective": "balanced", "balance": weight})
        score = {o["key"]: weight * o["cost"]["usd_per_month"] / top_cost + (1 - weight) * _upper(o) / top_speed
                 for o in every}
        assert score[answer["chosen"]["key"]] == pytest.approx(min(score.values()))


@pytest.mark.parametrize("extra, field", [({"objective": "speed"}, "max_usd_month"),
                                          ({"objective": "fastest"}, "objective"),
                                          ({"objective": "balanced", "balance": 2}, "balance")])
def test_bad_objectives_are_refused(store, extra, field):
    with pytest.raises(BadInput) as caught:
        service.recommend({**BODY, **extra})
    assert field in caught.value.fields
