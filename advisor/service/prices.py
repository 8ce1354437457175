"""Price tables as users see them: the table in use, and a refresh from AWS's public Price List files.

The refresh reads each service's per-region offer file from the Price List Bulk API (public: no AWS account or
credentials needed) or from a folder of files downloaded with the same layout, and writes the region's table to
DATA_DIR/prices/<region>.json in one atomic step; a region whose files cannot all be read is left as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from advisor.core import catalog, settings
from advisor.core.errors import AwsUnavailable, BadInput, Conflict
from advisor.service.common import Progress

MAX_OFFER_BYTES = 2 * 1024**3  # a service's per-region file; SageMaker's is tens of MB


def prices_show(region: str | None = None) -> dict[str, Any]:
    from advisor.core import prices as price_tables

    table = price_tables.load(region or settings.get("REGION"), settings.get("PRICE_OVERRIDES"),
                              settings.get("DISCOUNTS"))
    data = table.to_dict()
    priced = {k.removeprefix("sagemaker.") for k in table.prices if k.startswith("sagemaker.ml.")}
    data["unpriced_instance_types"] = sorted(t.sagemaker_name for t in catalog.INSTANCE_TYPES.values()
                                             if t.sagemaker_name not in priced)
    data["regions"] = price_tables.available_regions()
    data["refreshed"] = (price_tables.refreshed_dir() / f"{table.region}.json").is_file()
    data["stale"] = table.staleness(dt.datetime.now(dt.timezone.utc).date().isoformat())
    return data


def refresh(regions: list[str], source: str | None = None, progress: Progress = lambda f, m: None,
            force: bool = False) -> dict[str, Any]:
    """Rebuild each of REGIONS' tables from the Price List files at SOURCE (a base URL or a folder; default AWS's
    Bulk API, or ADVISOR_PRICE_LIST_URL); what each file gave and what changed, per region. A table edited by hand
    since the last refresh is not overwritten unless FORCE."""
    from advisor.core import prices as price_tables
    from advisor.core.prices.price_list import SERVICES, refreshed_table

    if not regions:
        raise BadInput("no region to refresh", hint="give --region, e.g. --region us-east-1 --region eu-west-1",
                       fields={"region": "required"})
    for region in regions:
        if not region.replace("-", "").isalnum() or region.count("-") < 2:
            raise BadInput(f"{region!r} is not an AWS region name", hint="e.g. us-east-1, eu-west-1, ap-southeast-1",
                           fields={"region": "not a region"})
    base = source or str(settings.get("PRICE_LIST_URL"))
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    out_dir = price_tables.refreshed_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    for region in regions:
        current = out_dir / f"{region}.json"
        if current.is_file() and not force:
            raw = json.loads(current.read_text())
            if raw.get("prices_digest") != price_tables.prices_digest(raw):
                raise Conflict(f"{current} was edited by hand since it was refreshed", hint="keep your edits as "
                               "ADVISOR_PRICE_OVERRIDES and refresh again, or pass --force to replace the file",
                               fields={"region": "edited by hand"})
    answers = []
    steps = len(regions) * len(SERVICES)
    for r, region in enumerate(regions):
        offers = {}
        for s, service in enumerate(SERVICES):
            progress((r * len(SERVICES) + s) / steps, f"{region}: reading the {service} offer file")
            offers[service] = _read_offer(base, service, region)
        current = out_dir / f"{region}.json"
        previous = json.loads(current.read_text()) if current.is_file() else price_tables.shipped_raw(region)
        table, summary = refreshed_table(region, offers, previous, today)
        table["prices_digest"] = price_tables.prices_digest(table)
        tmp = current.with_name(f".{region}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(table, indent=1, sort_keys=True))
        tmp.replace(current)  # atomic: a reader sees the old table or the new one
        answers.append(dict(summary, written=str(current), as_of=table["as_of"]))
    progress(1.0, "done")
    return {"regions": answers}


def _read_offer(base: str, service: str, region: str) -> tuple[dict[str, Any], str]:
    """(offer file, where it was read) of SERVICE in REGION under BASE (a URL or a folder)."""
    from advisor.core.prices.price_list import BULK_PATH

    relative = BULK_PATH.format(service=service, region=region)
    if base.startswith(("http://", "https://")):
        import urllib.error
        import urllib.request

        url = base.rstrip("/") + "/" + relative
        try:
            with urllib.request.urlopen(url, timeout=120) as response:
                body = response.read(MAX_OFFER_BYTES + 1)
        except urllib.error.HTTPError as exc:
            if exc.code in (403, 404):
                raise BadInput(f"the Price List has no {service} file for {region} ({exc.code})",
                               hint="check the region name; the service may not be offered there",
                               fields={"region": "no offer file"}) from None
            raise AwsUnavailable(f"the Price List answered {exc.code} for {url}",
                                 hint="try again later; nothing was changed") from None
        except (urllib.error.URLError, OSError) as exc:
            raise AwsUnavailable(f"the Price List could not be reached at {base}: {getattr(exc, 'reason', exc)}",
                                 hint="check the network, or download the files and give --from FOLDER; "
                                      "nothing was changed") from None
        where = url
    else:
        path = Path(base) / relative
        if not path.is_file():
            raise BadInput(f"no {service} offer file for {region} under {base}", hint=f"expected {relative} there "
                           "(the Bulk API's layout)", fields={"from": "missing file"})
        body, where = path.read_bytes(), f"file {relative}"
    if len(body) > MAX_OFFER_BYTES:
        raise BadInput(f"the {service} offer file for {region} is over {MAX_OFFER_BYTES // 1024**3} GB",
                       hint="give the per-region file, not the all-regions one", fields={"from": "too large"})
    try:
        offer = json.loads(body)
    except ValueError:
        raise BadInput(f"the {service} offer file for {region} is not JSON", hint="give the index.json files of the "
                       "Price List Bulk API", fields={"from": "not JSON"}) from None
    if not isinstance(offer, dict) or not isinstance(offer.get("products"), dict):
        raise BadInput(f"the {service} offer file for {region} has no products", hint="give the index.json files of "
                       "the Price List Bulk API", fields={"from": "not an offer file"})
    return offer, where
