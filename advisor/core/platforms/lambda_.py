"""AWS Lambda serving: memory from 128 MB to 10,240 MB (CPU in proportion), x86_64 or arm64, billed per request and
per GB-second in 1 ms steps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.core import catalog, costs
from advisor.core.domain import Config
from advisor.core.platforms.base import Footprint, Unpriced, _megabytes
from advisor.core.platforms.shapes import LambdaSized

if TYPE_CHECKING:
    from advisor.core.prices import PriceTable

class Lambda(LambdaSized):
    name = "lambda"
    serving = "per-request"
    deploy_target = "function"
    explorable = True
    aws_trials = "function"
    example = "lambda:1024 or lambda:1024:arm64"
    trial_timeout_s = 60  # the trial function's timeout: the longest an invocation can bill
    concurrency_limit = (catalog.LAMBDA_DEFAULT_CONCURRENCY, "Lambda's default regional concurrency")
    payload_limit = (catalog.LAMBDA_PAYLOAD_SYNC_BYTES, "Lambda's synchronous payload limit")

    def refuses(self, config: Config, footprint: Footprint) -> str | None:
        """The model must fit the package: 250 MB unzipped for a .zip (with its layers), 10 GB for an image."""
        if footprint.lambda_package == "image":
            limit, what, hint = catalog.CONTAINER_IMAGE_BYTES, "a container image", ""
        else:
            limit, what = catalog.LAMBDA_ZIP_UNZIPPED_BYTES, "a .zip package, unzipped with its layers"
            hint = "; a container image holds up to 10 GB (add the model with --lambda-package image)"
        if footprint.model_bytes > limit:
            return (f"the model is {_megabytes(footprint.model_bytes)} on disk, over Lambda's {_megabytes(limit)} "
                    f"limit for {what}{hint}")
        return super().refuses(config, footprint)

    def neighbours(self, config: Config) -> list[Config]:
        """The Lambda sizes either side of CONFIG on the default grid: enough to see a better size appear."""
        grid = sorted(set(catalog.LAMBDA_DEFAULT_GRID_MB) | {config.memory_mb or 0})
        at = grid.index(config.memory_mb or 0)
        return [Config(self.name, memory_mb=m, architecture=config.architecture)
                for m in grid[max(0, at - 1):at + 2]]

    def serving_cost(self, config: Config, billed_ms: float, rps: float, prices: "PriceTable",
                     hours_per_month: float, bytes_per_request: float = 0.0) -> costs.Cost:
        gbs, req = self.unit_prices(config, prices)
        return costs.lambda_inference(billed_ms, config.memory_mb or 0, rps, gbs, req, hours_per_month)

    def objective_usd(self, config: Config, metric_ms: float, deadline: bool, rps: float, prices: "PriceTable",
                      hourly_overrides: dict[str, float]) -> float | None:
        try:
            gbs, req = self.unit_prices(config, prices)
        except Unpriced:
            return None
        per_request = costs.lambda_request_usd(metric_ms, config.memory_mb or 0, gbs, req)
        return per_request if deadline else per_request * rps * 3600.0

    def trial_cost_bound(self, config: Config, invocations: int, prices: "PriceTable",
                         timeout_s: float | None = None) -> float:
        """Every invocation at the function's timeout (TIMEOUT_S for a user's own function, else the trial
        function's), plus a cold start and warm-ups."""
        per = costs.lambda_request_usd((timeout_s or self.trial_timeout_s) * 1000.0, config.memory_mb or 0,
                                       prices.usd(f"lambda.{config.architecture}.gb_second") or 0.0,
                                       prices.usd("lambda.request") or 0.0)
        return per * (invocations + 3)


PLATFORM = Lambda()
