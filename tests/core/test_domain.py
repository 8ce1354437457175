import pytest

from advisor.core.domain import SLA, Config
from advisor.core.errors import BadInput


@pytest.mark.parametrize("text, kind, limit_ms, pct", [
    ("p95<=250ms", "latency", 250.0, 95.0),
    ("p95 <= 212.5ms", "latency", 212.5, 95.0),
    ("p99.9<=1s", "latency", 1000.0, 99.9),
    ("p50<=0.5m", "latency", 30_000.0, 50.0),
    ("deadline<=2h", "deadline", 7_200_000.0, None),
    ("deadline <= 5400.25s", "deadline", 5_400_250.0, None),
])
def test_sla_grammar(text, kind, limit_ms, pct):
    sla = SLA.parse(text)
    assert (sla.kind, sla.limit_ms, sla.percentile) == (kind, pytest.approx(limit_ms), pct)


@pytest.mark.parametrize("text, field_reason", [
    ("p95<=fast", "unparseable"), ("p95<=250", "unparseable"), ("p49<=10ms", "percentile out of range"),
    ("p100<=10ms", "percentile out of range"), ("p95<=-5ms", "not positive"), ("p95<=0ms", "not positive"),
    ("", "unparseable"), ("deadline>=2h", "unparseable"),
])
def test_bad_sla_is_refused_with_a_hint(text, field_reason):
    with pytest.raises(BadInput) as err:
        SLA.parse(text)
    assert err.value.fields["sla"] == field_reason
    assert "p95<=250ms" in err.value.hint


def test_sla_check_is_inclusive():
    sla = SLA.parse("p95<=250ms")
    assert sla.met_by(250.0) and not sla.met_by(250.01)
    assert sla.metric == "p95_ms"


def test_config_validation_and_keys():
    assert Config("lambda", memory_mb=1024, architecture="arm64").key == "lambda/1024MB/arm64"
    assert Config("sagemaker-realtime", instance_type="ml.c5.large", instance_count=3).key == \
        "sagemaker-realtime/ml.c5.large x3"
    for bad in (dict(platform="mainframe"), dict(platform="lambda"), dict(platform="sagemaker-realtime"),
                dict(platform="lambda", memory_mb=1024, architecture="sparc"),
                dict(platform="sagemaker-realtime", instance_type="ml.c5.large", instance_count=0)):
        with pytest.raises(BadInput):
            Config(**bad)
