"""The two shapes platforms come in: memory-sized (a sandbox of M MB whose CPU share grows with memory, billed per
request or GB-second) and instance-sized (a count of one instance type, billed per instance-hour)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.core import catalog, costs
from advisor.core.domain import ARCHITECTURES, Config
from advisor.core.errors import BadInput
from advisor.core.platforms.base import Platform, Unpriced

if TYPE_CHECKING:
    from advisor.core.prices import PriceTable


class MemorySized(Platform):
    """A sandbox of memory_mb whose CPU share grows with memory, as Lambda's does."""

    memory_sized = True

    def vcpus(self, config: Config) -> float:
        return catalog.lambda_vcpus(config.memory_mb or 0)

    def memory_mb(self, config: Config) -> float:
        return float(config.memory_mb or 0)

    def parse(self, value: str, extra: str | None = None) -> Config:
        try:
            memory = int(value)
        except ValueError:
            raise BadInput(f"memory in {self.name}:{value} is not a whole number of MB", hint=f"e.g. {self.example}",
                           fields={"config": "bad memory"}) from None
        return Config(self.name, memory_mb=memory, architecture=extra or "x86_64")


class InstanceSized(Platform):
    """A count of instances of one catalog type (SageMaker's `ml.` types run on the EC2 type of the same name)."""

    def vcpus(self, config: Config) -> float:
        return float(catalog.instance_type(config.instance_type or "").vcpus)

    def memory_mb(self, config: Config) -> float:
        return catalog.instance_type(config.instance_type or "").memory_gib * 1024

    def validate(self, config: Config) -> None:
        catalog.instance_type(config.instance_type or "")

    def candidates(self) -> list[Config]:
        """One config per instance type (count 1); the search scales counts out for the throughput."""
        return [Config(self.name, instance_type=t.sagemaker_name, architecture=t.architecture)
                for t in catalog.INSTANCE_TYPES.values()]

    def parse(self, value: str, extra: str | None = None) -> Config:
        try:
            count = int(extra) if extra else 1
        except ValueError:
            raise BadInput(f"instance count in {self.name}:{value}:{extra} is not a whole number",
                           hint=f"e.g. {self.example}", fields={"config": "bad count"}) from None
        return Config(self.name, instance_type=value, instance_count=count)

    def processor(self, config: Config) -> str:
        itype = catalog.instance_type(config.instance_type or "")
        return "gpu" if itype.gpu else "accelerator" if itype.accelerator else "cpu"

    def price_key(self, config: Config, prices: "PriceTable | None" = None) -> str:
        return f"sagemaker.{config.instance_type}"

    def hourly_usd(self, config: Config, prices: "PriceTable",
                   hourly_overrides: dict[str, float] | None = None) -> float | None:
        """One instance's price per hour: the measurements' own figure where they give one, else the table's."""
        if hourly_overrides and config.instance_type in hourly_overrides:
            return hourly_overrides[config.instance_type]
        return prices.usd(self.price_key(config, prices))

    def objective_usd(self, config: Config, metric_ms: float, deadline: bool, rps: float, prices: "PriceTable",
                      hourly_overrides: dict[str, float]) -> float | None:
        price = self.hourly_usd(config, prices, hourly_overrides)
        if price is None:
            return None
        if deadline:
            return costs.training_on_instances(config.instance_count, price, metric_ms).usd_total or 0.0
        return costs.sagemaker_realtime(config.instance_count, price, rps, 1.0).usd_per_hour

    def trial_cost_bound(self, config: Config, invocations: int, prices: "PriceTable",
                         timeout_s: float | None = None) -> float:
        hourly = prices.usd(self.price_key(config, prices))
        if hourly is None:
            raise BadInput(f"{config.instance_type} has no price in the {prices.region} table, so its trial cannot be "
                           "bounded", hint="set ADVISOR_PRICE_OVERRIDES for it, or leave it out",
                           fields={"config": "unpriced"})
        return costs.training_on_instances(config.instance_count, hourly, self.trial_hours * 3.6e6).usd_total or 0.0

    trial_hours = 0.75  # at most: up to 30 min for an endpoint to start, then the load test


class LambdaSized(MemorySized):
    """A Lambda function's memory: 128 MB to 10,240 MB in 1 MB steps, on either architecture."""

    def candidates(self, grid: tuple[int, ...] = catalog.LAMBDA_DEFAULT_GRID_MB) -> list[Config]:
        return [Config(self.name, memory_mb=m, architecture=a) for a in ARCHITECTURES for m in grid]

    def validate(self, config: Config) -> None:
        if not catalog.LAMBDA_MIN_MB <= (config.memory_mb or 0) <= catalog.LAMBDA_MAX_MB:
            raise BadInput(f"Lambda memory must be {catalog.LAMBDA_MIN_MB} to {catalog.LAMBDA_MAX_MB} MB, got "
                           f"{config.memory_mb} MB", hint="pick a size in 1 MB steps between those bounds",
                           fields={"memory_mb": "out of range"})

    @staticmethod
    def unit_prices(config: Config, prices: "PriceTable") -> tuple[float, float]:
        """(USD per GB-second of CONFIG's architecture, USD per request); raises Unpriced."""
        gbs, req = prices.usd(f"lambda.{config.architecture}.gb_second"), prices.usd("lambda.request")
        if gbs is None or req is None:
            raise Unpriced(f"lambda.{config.architecture}.gb_second")
        return gbs, req
