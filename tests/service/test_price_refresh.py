"""`advisor prices refresh`: offer files in the Price List Bulk API's layout, served by an HTTP server on loopback
(as AWS serves them) or read from a folder, become the region's table; a failed read changes nothing.

The offer files here are written for the test in the documented format (products with attributes, OnDemand terms
with price dimensions): they check how the advisor reads that format, not what AWS's current files hold."""

import functools
import http.server
import json
import threading

import pytest

from advisor import service
from advisor.core import prices
from advisor.core.domain import Config
from advisor.core.errors import AwsUnavailable, BadInput, Conflict
from advisor.core.platforms import get as platform
from advisor.core.prices.price_list import BULK_PATH, SERVICES
from tests.support.servers import free_port

PUBLISHED = "2026-11-20T18:03:11Z"


def _offer(service, products):
    """An offer file: PRODUCTS is [(family, attributes, usd, beginRange)]."""
    out = {"formatVersion": "v1.0", "offerCode": service, "version": "20261120180311", "publicationDate": PUBLISHED,
           "products": {}, "terms": {"OnDemand": {}}}
    for k, (family, attributes, usd, begin) in enumerate(products):
        sku = f"SKU{k:04d}"
        out["products"][sku] = {"sku": sku, "productFamily": family, "attributes": attributes}
        out["terms"]["OnDemand"][sku] = {f"{sku}.JRTCKXETXF": {"priceDimensions": {f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
            "unit": "Hrs", "beginRange": begin, "endRange": "Inf", "pricePerUnit": {"USD": f"{usd:.10f}"}}}}}
    return out


def _ml(name, component, usd):
    return ("ML Instance", {"instanceName": name, "component": component, "location": "EU (Ireland)"}, usd, "0")


OFFERS = {
    "AmazonSageMaker": [_ml("ml.c5.large", "Hosting", 0.115), _ml("ml.c5.large", "Training", 0.115),
                        _ml("ml.c6i.large", "Hosting", 0.107), _ml("ml.g5.xlarge", "Hosting", 1.57),
                        _ml("ml.g5.xlarge", "Hosting", 1.62),  # two products, two prices: the higher, uncertain
                        _ml("ml.m5.large", "Notebook", 0.128),  # not a hosting or training price
                        ("Serverless", {"usagetype": "EU-ServerlessInf:Mem-1GB"}, 0.00002, "0")],
    "AWSLambda": [("Serverless", {"group": "AWS-Lambda-Duration", "location": "EU (Ireland)"}, 0.0000166667, "0"),
                  ("Serverless", {"group": "AWS-Lambda-Duration", "location": "EU (Ireland)"}, 0.0000150000,
                   "6000000000"),  # the next tier is not the first tier's price
                  ("Serverless", {"group": "AWS-Lambda-Duration-ARM", "location": "EU (Ireland)"}, 0.0000133334, "0"),
                  ("Serverless", {"group": "AWS-Lambda-Requests", "location": "EU (Ireland)"}, 0.0000002, "0")],
    "AmazonElastiCache": [("Cache Instance", {"instanceType": "cache.t3.micro", "cacheEngine": "Memcached"}, 0.018,
                           "0"),
                          ("Cache Instance", {"instanceType": "cache.t3.micro", "cacheEngine": "Redis"}, 0.5, "0")],
    "AmazonS3": [("API Request", {"usagetype": "EU-Requests-Tier1"}, 0.000005, "0"),
                 ("API Request", {"usagetype": "EU-Requests-Tier2"}, 0.0000004, "0"),
                 ("Storage", {"usagetype": "EU-TimedStorage-ByteHrs", "volumeType": "Standard"}, 0.023, "0")],
    "AmazonDynamoDB": [("Amazon DynamoDB PayPerRequest Throughput", {"usagetype": "EU-WriteRequestUnits"},
                        0.000000705, "0"),
                       ("Amazon DynamoDB PayPerRequest Throughput", {"usagetype": "EU-ReadRequestUnits"},
                        0.000000141, "0")],
}


@pytest.fixture
def offer_folder(tmp_path):
    root = tmp_path / "price-list"
    for service_code in SERVICES:
        path = root / BULK_PATH.format(service=service_code, region="eu-west-1")
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(_offer(service_code, OFFERS[service_code])))
    return root


@pytest.fixture
def price_list_url(offer_folder):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(offer_folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_refresh_over_http_prices_the_region_with_dated_primary_figures(data_dir, price_list_url):
    assert prices.load("eu-west-1").usd("sagemaker.ml.c5.large") is None  # shipped: Lambda only
    answer = service.refresh_prices(["eu-west-1"], price_list_url)
    summary = answer["regions"][0]
    assert summary["services"]["AmazonSageMaker"] == {"published": "2026-11-20", "keys": 4}
    table = prices.load("eu-west-1")
    assert table.as_of == "2026-11-20"
    c5 = table.get("sagemaker.ml.c5.large")
    assert (c5.usd, c5.confidence, c5.as_of) == (0.115, "primary", "2026-11-20")
    assert price_list_url in table.sources[c5.source] and "version 20261120180311" in table.sources[c5.source]
    assert table.usd("sagemaker-training.ml.c5.large") == 0.115
    g5 = table.get("sagemaker.ml.g5.xlarge")
    assert (g5.usd, g5.confidence) == (1.62, "uncertain")
    assert table.usd("sagemaker.ml.m5.large") is None  # a notebook's price is not an endpoint's
    assert table.usd("lambda.x86_64.gb_second") == pytest.approx(0.0000166667)  # the first tier
    assert table.usd("elasticache.cache.t3.micro") == 0.018  # Memcached's node, not Redis's
    assert table.usd("dynamodb.write_unit") == pytest.approx(0.000000705)
    assert table.usd("s3.gb_month") == 0.023
    assert table.usd("sagemaker-serverless.gb_second") is None  # not matched: stays unpriced, never guessed
    assert summary["changed"]["sagemaker.ml.c6i.large"] == {"before": None, "after": 0.107}
    assert "eu-west-1" in prices.available_regions() and service.prices_show("eu-west-1")["refreshed"]


def test_a_refreshed_table_keeps_what_the_files_do_not_give_with_its_own_date(data_dir, offer_folder):
    (offer_folder / BULK_PATH.format(service="AWSLambda", region="eu-west-1")).write_text(
        json.dumps(_offer("AWSLambda", [])))
    service.refresh_prices(["eu-west-1"], str(offer_folder))
    request = prices.load("eu-west-1").get("lambda.request")
    assert (request.source, request.as_of) == ("aws-lambda-pricing", "2026-11-01")  # the shipped table's


def test_the_training_platform_uses_training_prices_where_the_table_has_them(data_dir, offer_folder,
                                                                             monkeypatch):
    training = platform("sagemaker-training")
    shipped = prices.load("us-east-1")
    config = Config("sagemaker-training", instance_type="ml.c5.large")
    assert training.price_key(config, shipped) == "sagemaker.ml.c5.large"  # shipped: hosting = training
    service.refresh_prices(["eu-west-1"], str(offer_folder))
    monkeypatch.setenv("ADVISOR_REGION", "eu-west-1")
    refreshed = prices.from_settings()  # the refreshed file is picked up without a restart
    assert training.price_key(config, refreshed) == "sagemaker-training.ml.c5.large"
    assert training.hourly_usd(config, refreshed) == 0.115


@pytest.mark.parametrize("break_it, error, field", [
    (lambda root: (root / BULK_PATH.format(service="AmazonS3", region="eu-west-1")).unlink(), BadInput, "region"),
    (lambda root: (root / BULK_PATH.format(service="AmazonS3", region="eu-west-1")).write_text("<html>"), BadInput,
     "from"),
    (lambda root: (root / BULK_PATH.format(service="AmazonS3", region="eu-west-1")).write_text("[1]"), BadInput,
     "from"),
])
def test_a_failed_read_changes_nothing(data_dir, offer_folder, price_list_url, break_it, error, field):
    service.refresh_prices(["eu-west-1"], price_list_url)
    written = (prices.refreshed_dir() / "eu-west-1.json").read_text()
    break_it(offer_folder)
    with pytest.raises(error) as caught:
        service.refresh_prices(["eu-west-1"], price_list_url)
    assert field in caught.value.fields and caught.value.hint
    assert (prices.refreshed_dir() / "eu-west-1.json").read_text() == written


def test_an_unreachable_price_list_and_bad_regions_are_refused(data_dir):
    with pytest.raises(AwsUnavailable) as caught:
        service.refresh_prices(["eu-west-1"], f"http://127.0.0.1:{free_port()}")
    assert "--from FOLDER" in caught.value.hint
    for bad in (["../../etc"], ["useast1"], []):
        with pytest.raises(BadInput):
            service.refresh_prices(bad, "http://127.0.0.1:1")
    assert not (prices.refreshed_dir() / "eu-west-1.json").exists()


def test_the_command_prints_what_changed(data_dir, offer_folder):
    from click.testing import CliRunner

    from advisor.cli import main

    result = CliRunner().invoke(main, ["prices", "refresh", "--region", "eu-west-1", "--from", str(offer_folder)])
    assert result.exit_code == 0, result.output
    assert "AmazonSageMaker 4 prices (published 2026-11-20)" in result.output
    assert "sagemaker.ml.c6i.large" in result.output and "unpriced -> 0.107 USD" in result.output
    shown = CliRunner().invoke(main, ["prices", "show", "--region", "eu-west-1"])
    assert "refreshed from AWS's Price List" in shown.output and "2026-11-20" in shown.output
    bad = CliRunner().invoke(main, ["prices", "refresh", "--region", "mars", "--from", str(offer_folder)])
    assert bad.exit_code == 2 and "not an AWS region name" in bad.output and "Traceback" not in bad.output


def test_a_table_edited_by_hand_is_not_overwritten_without_force(data_dir, offer_folder):
    service.refresh_prices(["eu-west-1"], str(offer_folder))
    path = prices.refreshed_dir() / "eu-west-1.json"
    edited = json.loads(path.read_text())
    edited["prices"]["sagemaker.ml.c5.large"]["usd"] = 0.09  # a negotiated price, typed in
    path.write_text(json.dumps(edited))
    with pytest.raises(Conflict) as caught:
        service.refresh_prices(["eu-west-1"], str(offer_folder))
    assert "PRICE_OVERRIDES" in caught.value.hint and "--force" in caught.value.hint
    assert prices.load("eu-west-1").usd("sagemaker.ml.c5.large") == 0.09  # kept
    service.refresh_prices(["eu-west-1"], str(offer_folder), force=True)
    assert prices.load("eu-west-1").usd("sagemaker.ml.c5.large") == 0.115


def test_an_old_table_is_flagged_where_it_is_used():
    table = prices.load("us-east-1")
    assert table.staleness(table.as_of) is None
    assert table.staleness("2026-11-30") is None  # within FRESH_DAYS
    warning = table.staleness("2027-06-01")
    assert "212 days old" in warning and "advisor prices refresh --region us-east-1" in warning


def test_a_scheduled_prices_job_with_a_source_refreshes_before_it_rejudges(data_dir, offer_folder, monkeypatch):
    from advisor.service import scheduling
    from tests.support.profiles import lambda_profile

    monkeypatch.setenv("ADVISOR_REGION", "eu-west-1")
    service.store().add_profiles([lambda_profile("ncf-recommender", m) for m in (1024, 1769, 2560)])
    schedule = scheduling.add({"workload": "ncf-recommender", "job": "prices", "every": "1d", "sla": "p95<=1000ms",
                               "rps": 5, "source": str(offer_folder)})
    run = scheduling.run_now(schedule["id"])
    assert run["status"] == "succeeded", run
    refreshed = run["outcome"]["prices_refreshed"]
    assert refreshed["published"]["AmazonSageMaker"] == "2026-11-20" and refreshed["changed"] > 0
    assert run["outcome"]["prices_as_of"] == "2026-11-20"
    assert prices.from_settings().get("sagemaker.ml.c5.large").source == "aws-price-list-AmazonSageMaker"
