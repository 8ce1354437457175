"""Profiling on real AWS: Lambda functions, SageMaker endpoints and training slices, with a worst-case cost
known before anything starts."""

from __future__ import annotations

from typing import Any

from advisor.core import platforms, settings
from advisor.core.domain import Config, Profile
from advisor.core.errors import BadInput
from advisor.service.common import Progress, _number, store
from advisor.service.answers import profile_dict


def estimated_cost(backend_name: str, configs: list[Config], invocations: int) -> float:
    """The most the trials can cost: local trials nothing; on AWS, each platform's bound (a Lambda invocation at
    its timeout, an endpoint for its longest trial, Serverless at the request limit)."""
    if backend_name == "local":
        return 0.0
    from advisor.core import prices as price_tables

    table = price_tables.from_settings()
    return sum(platforms.of(c).trial_cost_bound(c, invocations, table) for c in configs)


def profile_on_aws(body: dict[str, Any], spec: Any, configs: list[Config], plan: Any,
                    progress: Progress) -> dict[str, Any]:
    """Trials on real AWS: Lambda (one function for the run, a version per config) and SageMaker endpoints
    (one per config); everything a trial creates is tagged and deleted afterwards, whatever happens."""
    from advisor.backends.aws.lambda_trials import LambdaTrials
    from advisor.workloads.ncf import request_for

    role, code = settings.get("AWS_ROLE_ARN"), settings.get("AWS_LAMBDA_CODE")
    image, model_data = settings.get("AWS_SAGEMAKER_IMAGE"), settings.get("AWS_SAGEMAKER_MODEL_DATA")
    training_image, training_output = settings.get("AWS_TRAINING_IMAGE"), settings.get("AWS_TRAINING_OUTPUT")
    lambda_configs = [c for c in configs if platforms.of(c).aws_trials == "lambda"]
    training_configs = [c for c in configs if platforms.of(c).aws_trials == "training"]
    endpoint_configs = [c for c in configs if platforms.of(c).aws_trials == "endpoint"]
    if (not role or (lambda_configs and not code) or (endpoint_configs and not image)
            or (training_configs and not (training_image and training_output))):
        raise BadInput("AWS trials need a role and the workload's package",
                       hint="set ADVISOR_AWS_ROLE_ARN, and ADVISOR_AWS_LAMBDA_CODE for Lambda, "
                            "ADVISOR_AWS_SAGEMAKER_IMAGE (with ADVISOR_AWS_SAGEMAKER_MODEL_DATA) for endpoints, or "
                            "ADVISOR_AWS_TRAINING_IMAGE and ADVISOR_AWS_TRAINING_OUTPUT for training slices",
                       fields={"backend": "aws not configured"})
    on_aws = [n for n in platforms.names() if platforms.get(n).aws_trials]
    if any(c.platform not in on_aws for c in configs):
        raise BadInput("AWS trials run on " + ", ".join(on_aws), hint="the other platforms are not profiled on AWS",
                       fields={"platform": "unsupported"})
    concurrency = _number(body, "concurrency", None, int, 1)
    payload = request_for(spec, spec.candidates_per_request, seed=plan.seed)
    results = []

    def keep(k: int, prof: Profile) -> None:
        store().add_profiles([prof], spec.kind)
        results.append(profile_dict(prof))
        progress((k + 1) / len(configs), f"{prof.config.key}: done")

    if lambda_configs:
        if code.startswith("s3://"):
            bucket, _, key = code[5:].partition("/")
            package = {"S3Bucket": bucket, "S3Key": key}
        else:
            package = {"ImageUri": code}
        with LambdaTrials(spec.id, role, package, settings.get("AWS_LAMBDA_HANDLER"),
                          timeout_s=platforms.of(lambda_configs[0]).trial_timeout_s) as trials:
            for config in lambda_configs:
                progress(len(results) / len(configs), f"{config.key}: deploying and invoking on AWS Lambda")
                prof = trials.trial(config, payload, invocations=plan.invocations, warmup=plan.warmup)
                if concurrency and prof.feasible:
                    burst = trials.burst(config, payload, concurrency, 2 * concurrency)
                    prof.summary.update({k: v for k, v in burst.summary.items() if k.startswith("burst_")})
                    prof.summary["burst_p95_ms"] = burst.summary.get("p95_ms")
                keep(len(results), prof)
    if endpoint_configs:
        from advisor.backends.aws.sagemaker_trials import SageMakerTrials

        with SageMakerTrials(spec.id, role, image, model_data) as endpoints:
            for config in endpoint_configs:
                progress(len(results) / len(configs), f"{config.key}: starting a SageMaker endpoint (minutes)")
                keep(len(results), endpoints.trial(config, payload, requests_per_level=plan.requests_per_level,
                                                   latency_target_ms=plan.latency_target_ms))
    if training_configs:
        from advisor.backends.aws.training_jobs import TrainingSlices

        steps = _number(body, "steps", 100, int, 1)
        with TrainingSlices(spec.id, role, training_image, training_output) as slices:
            for config in training_configs:
                progress(len(results) / len(configs), f"{config.key}: training slice of {steps} steps")
                keep(len(results), slices.slice(config, steps, max_runtime_s=platforms.of(config).trial_timeout_s))
    progress(1.0, "done")
    return {"workload": spec.id, "backend": "aws", "profiles": results, "skipped": []}
