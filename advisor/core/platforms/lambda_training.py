"""Serverless training: instance_count Lambda workers of memory_mb each, exchanging gradients through a channel
(S3, DynamoDB or Memcached), re-invoked at Lambda's time limit until the run is done."""

from __future__ import annotations

from advisor.core.domain import CHANNELS
from advisor.core.platforms.shapes import LambdaSized


class LambdaTraining(LambdaSized):
    name = "lambda-training"
    kind = "training"
    channels = CHANNELS
    training = "lambda-workers"
    local_profiler = "training"
    example = "lambda-training:1769"


PLATFORM = LambdaTraining()
