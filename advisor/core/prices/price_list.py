"""Reading AWS's public Price List offer files (the Bulk API's per-region `index.json`) into the advisor's keys.

An offer file lists products (a SKU and its attributes) and, under `terms.OnDemand`, each SKU's price dimensions
(unit, `pricePerUnit.USD`, and for tiered prices `beginRange`). The rules below say which products give which key;
only a product's first tier (beginRange 0) and a non-zero on-demand USD price are read. When several products match
one key and their prices differ, the highest is kept and marked "uncertain" (the cost is then not understated).
A key no rule matches keeps its previous dated source, or stays unpriced: nothing is filled in by analogy.

The attribute values (ML Instance with component Hosting or Training and instanceName; the Lambda groups;
ElastiCache's Cache Instance; S3's and DynamoDB's usage types) follow AWS's documentation of the files and
public scripts that read them; Serverless Inference and endpoint data processing are not matched, because
their attribute values could not be checked here.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

BULK_PATH = "offers/v1.0/aws/{service}/current/{region}/index.json"
SERVICES = ("AmazonSageMaker", "AWSLambda", "AmazonElastiCache", "AmazonS3", "AmazonDynamoDB")
UNITS = {"sagemaker": "USD per instance-hour", "sagemaker-training": "USD per instance-hour",
         "lambda.x86_64.gb_second": "USD per GB-second", "lambda.arm64.gb_second": "USD per GB-second",
         "lambda.request": "USD per request", "elasticache": "USD per node-hour",
         "s3.put_request": "USD per PUT, COPY, POST or LIST request", "s3.get_request": "USD per GET request",
         "s3.gb_month": "USD per GB-month", "dynamodb.write_unit": "USD per write request unit (1 KB)",
         "dynamodb.read_unit": "USD per read request unit (4 KB, strongly consistent)"}


def _usage_is(attributes: dict[str, str], name: str) -> bool:
    """A usage type NAME, with or without the region prefix AWS puts before it (USE1-, EUW1-...)."""
    usage = attributes.get("usagetype", "")
    return usage == name or usage.endswith("-" + name)


def _sagemaker(product: dict[str, Any]) -> str | None:
    a = product.get("attributes", {})
    name = a.get("instanceName") or a.get("instanceType") or ""
    if product.get("productFamily") != "ML Instance" or not name.startswith("ml."):
        return None
    return {"Hosting": f"sagemaker.{name}", "Training": f"sagemaker-training.{name}"}.get(a.get("component", ""))


_LAMBDA_GROUPS = {"AWS-Lambda-Duration": "lambda.x86_64.gb_second", "AWS-Lambda-Duration-ARM": "lambda.arm64.gb_second",
                  "AWS-Lambda-Requests": "lambda.request"}


def _lambda(product: dict[str, Any]) -> str | None:
    a = product.get("attributes", {})
    return _LAMBDA_GROUPS.get(a.get("group", "")) if a.get("location") != "Any" else None


def _elasticache(product: dict[str, Any]) -> str | None:
    a = product.get("attributes", {})
    node = a.get("instanceType", "")
    if product.get("productFamily") == "Cache Instance" and node.startswith("cache.") and \
            a.get("cacheEngine", "Memcached") == "Memcached":
        return f"elasticache.{node}"
    return None


def _s3(product: dict[str, Any]) -> str | None:
    a = product.get("attributes", {})
    if _usage_is(a, "Requests-Tier1"):
        return "s3.put_request"
    if _usage_is(a, "Requests-Tier2"):
        return "s3.get_request"
    if _usage_is(a, "TimedStorage-ByteHrs") and a.get("volumeType") == "Standard":
        return "s3.gb_month"
    return None


def _dynamodb(product: dict[str, Any]) -> str | None:
    a = product.get("attributes", {})
    if _usage_is(a, "WriteRequestUnits"):
        return "dynamodb.write_unit"
    if _usage_is(a, "ReadRequestUnits"):
        return "dynamodb.read_unit"
    return None


RULES: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "AmazonSageMaker": _sagemaker, "AWSLambda": _lambda, "AmazonElastiCache": _elasticache, "AmazonS3": _s3,
    "AmazonDynamoDB": _dynamodb}


def _first_tier_usd(terms: dict[str, Any]) -> Iterator[float]:
    """The USD prices of an SKU's on-demand terms that start at zero usage."""
    for term in terms.values():
        for dimension in term.get("priceDimensions", {}).values():
            if str(dimension.get("beginRange", "0")) not in ("0", "0.0"):
                continue
            try:
                usd = float(dimension.get("pricePerUnit", {}).get("USD", ""))
            except ValueError:
                continue
            if usd > 0:
                yield usd


def prices_of(service: str, offer: dict[str, Any]) -> dict[str, tuple[float, bool]]:
    """Key -> (USD, whether matching products disagreed) from one service's offer file."""
    rule = RULES[service]
    found: dict[str, set[float]] = {}
    on_demand = offer.get("terms", {}).get("OnDemand", {})
    for sku, product in offer.get("products", {}).items():
        key = rule(product)
        if key is None:
            continue
        for usd in _first_tier_usd(on_demand.get(sku, {})):
            found.setdefault(key, set()).add(round(usd, 12))
    return {key: (max(values), len(values) > 1) for key, values in found.items()}


def unit_of(key: str) -> str:
    return UNITS.get(key) or UNITS[key.split(".", 1)[0]]


def refreshed_table(region: str, offers: dict[str, tuple[dict[str, Any], str]], previous: dict[str, Any] | None,
                    today: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The table of REGION from OFFERS (service -> (offer file, where it was read)) over PREVIOUS (a raw table, or
    None): every matched key takes the file's price, date and source; the rest keep theirs. Also a summary: what
    each file gave, what changed and what stayed as it was."""
    previous = previous or {"as_of": today, "sources": {}, "prices": {}}
    table_date = previous.get("as_of", today)
    prices = {key: dict(entry, as_of=entry.get("as_of", table_date)) for key, entry in previous["prices"].items()}
    sources = dict(previous.get("sources", {}))
    summary: dict[str, Any] = {"region": region, "services": {}, "changed": {}, "kept": []}
    dates = []
    for service, (offer, where) in offers.items():
        published = str(offer.get("publicationDate", ""))[:10] or today
        dates.append(published)
        source = f"aws-price-list-{service}"
        sources[source] = (f"AWS Price List Bulk API, {service} offer file for {region}, version "
                           f"{offer.get('version', '?')}, published {published} ({where})")
        found = prices_of(service, offer)
        summary["services"][service] = {"published": published, "keys": len(found)}
        for key, (usd, disagreed) in sorted(found.items()):
            before = prices.get(key, {}).get("usd")
            if before != usd:
                summary["changed"][key] = {"before": before, "after": usd}
            prices[key] = {"usd": usd, "unit": unit_of(key), "source": source,
                           "confidence": "uncertain" if disagreed else "primary", "as_of": published}
    refreshed = {k for k, e in prices.items() if e["source"].startswith("aws-price-list-")}
    summary["kept"] = sorted(set(prices) - refreshed)
    used = {e["source"] for e in prices.values()}
    return ({"region": region, "as_of": max(dates) if dates else table_date, "currency": "USD",
             "note": f"Refreshed {today} from AWS's Price List files; entries the files did not give keep their own "
                     "date and source. A type missing here is unpriced, never guessed.",
             "sources": {k: v for k, v in sources.items() if k in used}, "prices": prices}, summary)
