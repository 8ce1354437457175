"""SageMaker real-time endpoints: a count of instances of one type, paid every hour whether busy or not, plus data
processed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.core import catalog, costs
from advisor.core.domain import Config
from advisor.core.platforms.base import Unpriced
from advisor.core.platforms.shapes import InstanceSized

if TYPE_CHECKING:
    from advisor.core.prices import PriceTable


class SageMakerRealtime(InstanceSized):
    name = "sagemaker-realtime"
    serving = "instances"
    deploy_target = "endpoint"
    aws_trials = "endpoint"
    example = "sagemaker-realtime:ml.c5.large or sagemaker-realtime:ml.c5.large:2"
    payload_limit = (catalog.SAGEMAKER_PAYLOAD_BYTES, "a real-time endpoint's payload limit")

    def serving_cost(self, config: Config, billed_ms: float, rps: float, prices: "PriceTable",
                     hours_per_month: float, bytes_per_request: float = 0.0) -> costs.Cost:
        hourly = self.hourly_usd(config, prices)
        if hourly is None:
            raise Unpriced(self.price_key(config))
        return costs.sagemaker_realtime(config.instance_count, hourly, rps, hours_per_month, bytes_per_request,
                                        prices.usd("sagemaker.gb_processed") or 0.0)


PLATFORM = SageMakerRealtime()
