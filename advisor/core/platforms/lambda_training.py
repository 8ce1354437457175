"""Serverless training: instance_count Lambda workers of memory_mb each, exchanging gradients through a channel
(S3, DynamoDB or Memcached), re-invoked at Lambda's time limit until the run is done."""

from __future__ import annotations

from advisor.core.domain import CHANNELS, Config
from advisor.core.errors import BadInput
from advisor.core.platforms.shapes import LambdaSized


class LambdaTraining(LambdaSized):
    name = "lambda-training"
    kind = "training"
    channels = CHANNELS
    training = "lambda-workers"
    local_profiler = "training"
    example = "lambda-training:1769"

    def parse(self, value: str, extra: str | None = None) -> Config:
        """MEMORY, or MEMORYxWORKERS (`1769x8`: eight workers of 1,769 MB)."""
        memory, times, workers = value.partition("x")
        config = super().parse(memory, extra)
        if not times:
            return config
        if not workers.isdigit() or int(workers) < 1:
            raise BadInput(f"workers in {self.name}:{value} is not a whole number", hint="e.g. lambda-training:1769x8",
                           fields={"config": "bad workers"})
        return Config(config.platform, config.memory_mb, None, int(workers), config.architecture)


PLATFORM = LambdaTraining()
