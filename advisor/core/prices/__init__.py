"""Dated, sourced price tables, with overrides and discounts from settings.

A key missing from a table is *unpriced*: the recommender rejects candidates that need it, with that reason.
Keys: `lambda.<arch>.gb_second`, `lambda.request`, `sagemaker.<ml type>` (real-time hosting),
`sagemaker-training.<ml type>`, `sagemaker.gb_processed`, `sagemaker-serverless.gb_second`,
`sagemaker-serverless.gb_processed`, `s3.*`, `dynamodb.*`, `elasticache.<node>`. Each price carries its own date.

The tables shipped with the advisor are read from this package; `advisor prices refresh` writes a region's table
from AWS's Price List files to DATA_DIR/prices/<region>.json, which is then read in its place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from advisor.core.errors import BadInput, NotFound


FRESH_DAYS = 90  # a table older than this is flagged where it is used


@dataclass(frozen=True)
class Price:
    key: str
    usd: float
    unit: str
    source: str
    confidence: str  # primary, secondary, uncertain, override
    discount: float = 0.0
    as_of: str = ""  # the date the figure was read from its source

    @property
    def effective_usd(self) -> float:
        return self.usd * (1.0 - self.discount)


@dataclass(frozen=True)
class PriceTable:
    region: str
    as_of: str
    sources: dict[str, str]
    prices: dict[str, Price] = field(repr=False)
    note: str = ""

    def get(self, key: str) -> Price | None:
        return self.prices.get(key)

    def staleness(self, today: str) -> str | None:
        """A warning when the table is older than FRESH_DAYS on TODAY (an ISO date), else None."""
        import datetime as dt

        try:
            age = (dt.date.fromisoformat(today) - dt.date.fromisoformat(self.as_of)).days
        except ValueError:
            return None
        if age <= FRESH_DAYS:
            return None
        return (f"the {self.region} prices are {age} days old (as of {self.as_of}): `advisor prices refresh "
                f"--region {self.region}` reads AWS's current ones")

    def usd(self, key: str) -> float | None:
        price = self.prices.get(key)
        return None if price is None else price.effective_usd

    @property
    def fingerprint(self) -> str:
        """Changes whenever any price, discount or the table's date changes: part of a recommendation's id."""
        cached = self.__dict__.get("_fingerprint")
        if cached is None:
            import hashlib

            text = json.dumps([self.region, self.as_of, sorted((k, p.effective_usd) for k, p in self.prices.items())])
            cached = hashlib.sha256(text.encode()).hexdigest()[:16]
            object.__setattr__(self, "_fingerprint", cached)
        return cached

    def to_dict(self) -> dict[str, Any]:
        return {"region": self.region, "as_of": self.as_of, "note": self.note, "sources": self.sources,
                "prices": {k: {"usd": p.usd, "effective_usd": p.effective_usd, "unit": p.unit, "source": p.source,
                               "confidence": p.confidence, "discount": p.discount, "as_of": p.as_of}
                           for k, p in sorted(self.prices.items())}}


def refreshed_dir() -> Path:
    """Where `advisor prices refresh` writes the tables it builds; they take the place of the shipped ones."""
    from advisor.core import settings

    return Path(settings.get("DATA_DIR")) / "prices"


def available_regions() -> list[str]:
    shipped = {p.name.removesuffix(".json") for p in resources.files(__package__).iterdir()
               if p.name.endswith(".json")}
    refreshed = {p.stem for p in refreshed_dir().glob("*.json")} if refreshed_dir().is_dir() else set()
    return sorted(shipped | refreshed)


def _table_file(region: str) -> tuple[Any, float]:
    """The file REGION's table is read from (a refreshed one first) and its modification time (0: shipped)."""
    refreshed = refreshed_dir() / f"{region}.json"
    if refreshed.is_file():
        return refreshed, refreshed.stat().st_mtime
    return resources.files(__package__) / f"{region}.json", 0.0


def prices_digest(raw: dict[str, Any]) -> str:
    """A digest of a table's prices: `advisor prices refresh` stores it, and a file whose prices no longer match it
    was edited by hand since."""
    import hashlib

    return hashlib.sha256(json.dumps(raw.get("prices", {}), sort_keys=True).encode()).hexdigest()


def shipped_raw(region: str) -> dict[str, Any] | None:
    """The table shipped with the advisor for REGION, or None."""
    path = resources.files(__package__) / f"{region}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _load_raw(region: str) -> dict[str, Any]:
    path, mtime = _table_file(region)
    return _read_raw(region, str(path), mtime)


@lru_cache(maxsize=32)
def _read_raw(region: str, path: str, _mtime: float) -> dict[str, Any]:
    """A table's JSON; cached by path and modification time, so a refresh is seen by every process."""
    if not Path(path).is_file():
        raise NotFound(f"no price table for region {region!r}",
                       hint="regions with a table: " + ", ".join(available_regions()) + "; `advisor prices "
                            "refresh --region " + region + "` builds one from AWS's Price List",
                       fields={"region": "no price table"})
    return json.loads(Path(path).read_text())


def _service(key: str) -> str:
    return key.split(".", 1)[0]


def load(region: str, overrides: dict[str, Any] | None = None,
         discounts: dict[str, Any] | None = None) -> PriceTable:
    """The price table of REGION with OVERRIDES (key -> USD) and DISCOUNTS (service -> fraction) applied."""
    raw = _load_raw(region)
    discounts = dict(discounts or {})
    for service, fraction in discounts.items():
        if not isinstance(fraction, (int, float)) or not 0 <= fraction < 1:
            raise BadInput(f"discount for {service!r} must be a fraction in [0, 1), got {fraction!r}",
                           hint='e.g. ADVISOR_DISCOUNTS=\'{"sagemaker": 0.3}\'', fields={"discounts": "out of range"})
    prices: dict[str, Price] = {}
    for key, entry in raw["prices"].items():
        prices[key] = Price(key, float(entry["usd"]), entry["unit"], entry["source"], entry["confidence"],
                            float(discounts.get(_service(key), 0.0)), entry.get("as_of", raw["as_of"]))
    for key, value in (overrides or {}).items():
        if not isinstance(value, (int, float)) or value < 0:
            raise BadInput(f"price override for {key!r} must be a non-negative number, got {value!r}",
                           hint='e.g. ADVISOR_PRICE_OVERRIDES=\'{"sagemaker.ml.c5.large": 0.1}\'',
                           fields={"price_overrides": "not a number"})
        unit = prices[key].unit if key in prices else "USD"
        prices[key] = Price(key, float(value), unit, "override", "override", float(discounts.get(_service(key), 0.0)),
                            "override")
    return PriceTable(region, raw["as_of"], dict(raw.get("sources", {})), prices, raw.get("note", ""))


def from_settings() -> PriceTable:
    """The table the settings select; built once per distinct settings (the hot path asks on every request)."""
    import os

    key = tuple(os.environ.get(f"ADVISOR_{n}", "") for n in ("REGION", "PRICE_OVERRIDES", "DISCOUNTS", "DATA_DIR"))
    from advisor.core import settings

    return _from_settings(key + (str(_table_file(settings.get("REGION"))),))


@lru_cache(maxsize=8)
def _from_settings(_key: tuple[str, ...]) -> PriceTable:
    from advisor.core import settings

    return load(settings.get("REGION"), settings.get("PRICE_OVERRIDES"), settings.get("DISCOUNTS"))
