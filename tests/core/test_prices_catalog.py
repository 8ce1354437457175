import pytest

from advisor.core import catalog, platforms, prices
from advisor.core.domain import Config
from advisor.core.errors import BadInput, NotFound


def test_every_table_is_dated_and_every_price_names_a_source():
    regions = prices.available_regions()
    assert {"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"} <= set(regions)
    for region in regions:
        table = prices.load(region)
        assert table.as_of and table.sources
        for price in table.prices.values():
            assert price.source in table.sources, (region, price.key)
            assert price.confidence in ("primary", "secondary", "uncertain")
            assert price.usd > 0 and price.unit.startswith("USD")
            assert len(price.as_of) == 10 and price.as_of <= table.as_of  # a date, as each figure was read


def test_unpriced_types_stay_unpriced():
    table = prices.load("us-east-1")
    assert table.usd("sagemaker.ml.c5.large") == pytest.approx(0.102)
    assert table.usd("sagemaker.ml.p5.48xlarge") is None  # no sourced price: never guessed
    assert prices.load("eu-west-1").usd("sagemaker.ml.c5.large") is None


def test_overrides_and_discounts():
    table = prices.load("us-east-1", overrides={"sagemaker.ml.p5.48xlarge": 98.32}, discounts={"sagemaker": 0.25})
    assert table.usd("sagemaker.ml.p5.48xlarge") == pytest.approx(98.32 * 0.75)
    assert table.get("sagemaker.ml.p5.48xlarge").confidence == "override"
    assert table.usd("sagemaker.ml.c5.large") == pytest.approx(0.102 * 0.75)
    assert table.usd("lambda.request") == pytest.approx(0.0000002)
    with pytest.raises(BadInput):
        prices.load("us-east-1", discounts={"sagemaker": 1.5})
    with pytest.raises(BadInput):
        prices.load("us-east-1", overrides={"lambda.request": "cheap"})
    with pytest.raises(NotFound):
        prices.load("mars-north-1")


def test_catalog_has_the_families_and_their_accelerators():
    families = {name.split(".")[0] for name in catalog.INSTANCE_TYPES}
    assert {"t2", "t3", "m5", "m6i", "m7i", "c5", "c6i", "c7i", "r5", "g4dn", "g5", "g6", "inf1", "inf2", "p3", "p4d",
            "p5", "c6g", "m6g", "r6g", "r6i", "r7i", "g6e"} <= families
    assert catalog.instance_type("ml.c6g.large").architecture == "arm64"
    assert catalog.instance_type("ml.g5.xlarge").gpu == "NVIDIA A10G"
    assert catalog.instance_type("p4d.24xlarge").gpu_count == 8
    with pytest.raises(NotFound) as err:
        catalog.instance_type("ml.c5.huge")
    assert "ml.c5.large" in err.value.hint


def test_lambda_cpu_share_follows_memory():
    assert catalog.lambda_vcpus(1769) == pytest.approx(1.0)
    assert catalog.lambda_vcpus(10240) == pytest.approx(10240 / 1769)  # DESIGN: min(M/1769, 6)
    assert catalog.lambda_vcpus(20000) == pytest.approx(6.0)
    assert catalog.lambda_vcpus(884.5) == pytest.approx(0.5)


def test_platform_limits():
    with pytest.raises(BadInput):
        platforms.validate(Config("lambda", memory_mb=64))
    with pytest.raises(BadInput):
        platforms.validate(Config("lambda", memory_mb=10241))
    with pytest.raises(BadInput):
        platforms.validate(Config("sagemaker-serverless", memory_mb=1500))
    assert len(platforms.get("lambda").candidates()) == 2 * len(catalog.LAMBDA_DEFAULT_GRID_MB)
