"""SageMaker training jobs: a count of instances of one type for the length of the run, billed per second."""

from __future__ import annotations

from advisor.core.domain import Config
from advisor.core.platforms.shapes import InstanceSized

class SageMakerTraining(InstanceSized):
    name = "sagemaker-training"
    kind = "training"
    training = "instances"
    aws_trials = "training-job"
    local_profiler = "training"
    example = "sagemaker-training:ml.c5.xlarge"
    trial_timeout_s = 1800  # MaxRuntimeInSeconds of a training slice on AWS
    trial_hours = trial_timeout_s / 3600

    def price_key(self, config: Config, prices: object = None) -> str:
        """The training price where the table has one (refreshed tables do); else the hosting price, which the
        shipped tables' sources give as the training price of the same type."""
        own = f"sagemaker-training.{config.instance_type}"
        if prices is not None and prices.get(own) is None:  # type: ignore[attr-defined]
            return f"sagemaker.{config.instance_type}"
        return own


PLATFORM = SageMakerTraining()
