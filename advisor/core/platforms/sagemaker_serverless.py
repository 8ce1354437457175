"""SageMaker Serverless Inference: whole-GB memory sizes from 1 to 6 GB, billed per GB-second of compute and per GB
of data processed. AWS does not publish its CPU share; Lambda's ratio is the stated assumption."""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.core import catalog, costs
from advisor.core.errors import BadInput
from advisor.core.domain import Config
from advisor.core.platforms.base import Footprint, Unpriced, _megabytes
from advisor.core.platforms.shapes import MemorySized

if TYPE_CHECKING:
    from advisor.core.prices import PriceTable


class SageMakerServerless(MemorySized):
    name = "sagemaker-serverless"
    serving = "per-request"
    deploy_target = "endpoint"
    aws_trials = "endpoint"
    example = "sagemaker-serverless:2048"
    concurrency_limit = (catalog.SERVERLESS_MAX_CONCURRENCY, "Serverless Inference's maximum concurrency")
    payload_limit = (catalog.SERVERLESS_PAYLOAD_BYTES, "Serverless Inference's payload limit")

    def refuses(self, config: Config, footprint: Footprint) -> str | None:
        """The serving container, model included, must stay within Serverless Inference's 10 GB image limit."""
        if footprint.model_bytes > catalog.CONTAINER_IMAGE_BYTES:
            return (f"the model is {_megabytes(footprint.model_bytes)} on disk, over Serverless Inference's "
                    f"{_megabytes(catalog.CONTAINER_IMAGE_BYTES)} container limit")
        return super().refuses(config, footprint)

    def candidates(self) -> list[Config]:
        return [Config(self.name, memory_mb=m) for m in catalog.SERVERLESS_MEMORY_MB]

    def validate(self, config: Config) -> None:
        if config.memory_mb not in catalog.SERVERLESS_MEMORY_MB:
            raise BadInput(f"Serverless Inference memory must be one of {catalog.SERVERLESS_MEMORY_MB} MB, "
                           f"got {config.memory_mb} MB", hint="Serverless Inference sizes are whole GB from 1 to 6",
                           fields={"memory_mb": "not a serverless size"})

    def serving_cost(self, config: Config, billed_ms: float, rps: float, prices: "PriceTable",
                     hours_per_month: float, bytes_per_request: float = 0.0) -> costs.Cost:
        gbs, data = prices.usd("sagemaker-serverless.gb_second"), prices.usd("sagemaker-serverless.gb_processed")
        if gbs is None or data is None:
            raise Unpriced("sagemaker-serverless.gb_second")
        return costs.serverless_inference(billed_ms, config.memory_mb or 0, rps, gbs, hours_per_month,
                                          bytes_per_request, data)

    def objective_usd(self, config: Config, metric_ms: float, deadline: bool, rps: float, prices: "PriceTable",
                      hourly_overrides: dict[str, float]) -> float | None:
        gbs = prices.usd("sagemaker-serverless.gb_second")
        if gbs is None:
            return None
        return costs.serverless_inference(metric_ms, config.memory_mb or 0, rps, gbs, 1.0).usd_per_hour

    def trial_cost_bound(self, config: Config, invocations: int, prices: "PriceTable",
                         timeout_s: float | None = None) -> float:
        """Every request at SageMaker's 60 s invocation limit, twice over (warm-ups)."""
        per_1k = costs.serverless_inference(catalog.SAGEMAKER_REQUEST_TIMEOUT_S * 1000.0, config.memory_mb or 0, 1.0,
                                            prices.usd("sagemaker-serverless.gb_second") or 0.0, 1.0).usd_per_1k_requests
        return (per_1k or 0.0) / 1000.0 * invocations * 2


PLATFORM = SageMakerServerless()
