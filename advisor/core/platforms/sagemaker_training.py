"""SageMaker training jobs: a count of instances of one type for the length of the run, billed per second."""

from __future__ import annotations

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


PLATFORM = SageMakerTraining()
