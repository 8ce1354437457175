"""Profiling on real AWS: Lambda functions, SageMaker endpoints and training slices, with a worst-case cost
known before anything starts."""

from __future__ import annotations

from typing import Any

from advisor.core import settings
from advisor.core.domain import Config, Profile
from advisor.core.errors import BadInput
from advisor.service.common import Progress, _number, store
from advisor.service.profiling import profile_dict

AWS_TRIAL_TIMEOUT_S = 60


SAGEMAKER_TRIAL_HOURS = 0.75  # at most: up to 30 min for the endpoint to start, then the load test
TRAINING_SLICE_MAX_S = 1800  # MaxRuntimeInSeconds of a training slice


def estimated_cost(backend_name: str, configs: list[Config], invocations: int) -> float:
    """The most the trials can cost: local trials nothing; each Lambda invocation at most its timeout; each
    endpoint at most SAGEMAKER_TRIAL_HOURS of its instances (serverless: every request at the 60 s limit)."""
    if backend_name == "local":
        return 0.0
    from advisor.core import costs
    from advisor.core import prices as price_tables

    table = price_tables.from_settings()
    total = 0.0
    for c in configs:
        if c.platform == "lambda":
            per = costs.lambda_request_usd(AWS_TRIAL_TIMEOUT_S * 1000.0, c.memory_mb or 0,
                                           table.usd(f"lambda.{c.architecture}.gb_second") or 0.0,
                                           table.usd("lambda.request") or 0.0)
            total += per * (invocations + 3)  # + a cold start and warm-ups
        elif c.platform == "sagemaker-serverless":
            total += costs.serverless_inference(60_000.0, c.memory_mb or 0, 1.0,
                                                table.usd("sagemaker-serverless.gb_second") or 0.0,
                                                1.0).usd_per_1k_requests / 1000.0 * invocations * 2
        else:
            hours = TRAINING_SLICE_MAX_S / 3600 if c.platform == "sagemaker-training" else SAGEMAKER_TRIAL_HOURS
            hourly = table.usd(f"sagemaker.{c.instance_type}")
            if hourly is None:
                raise BadInput(f"{c.instance_type} has no price in the {table.region} table, so its trial cannot be "
                               "bounded", hint="set ADVISOR_PRICE_OVERRIDES for it, or leave it out",
                               fields={"config": "unpriced"})
            total += costs.training_on_instances(c.instance_count, hourly, hours * 3.6e6).usd_total or 0
    return total


def profile_on_aws(body: dict[str, Any], spec: Any, configs: list[Config], plan: Any,
                    progress: Progress) -> dict[str, Any]:
    """Trials on real AWS: Lambda (one function for the run, a version per config) and SageMaker endpoints
    (one per config); everything a trial creates is tagged and deleted afterwards, whatever happens."""
    from advisor.backends.aws.lambda_trials import LambdaTrials
    from advisor.workloads.ncf import request_for

    role, code = settings.get("AWS_ROLE_ARN"), settings.get("AWS_LAMBDA_CODE")
    image, model_data = settings.get("AWS_SAGEMAKER_IMAGE"), settings.get("AWS_SAGEMAKER_MODEL_DATA")
    training_image, training_output = settings.get("AWS_TRAINING_IMAGE"), settings.get("AWS_TRAINING_OUTPUT")
    lambda_configs = [c for c in configs if c.platform == "lambda"]
    training_configs = [c for c in configs if c.platform == "sagemaker-training"]
    endpoint_configs = [c for c in configs if c.platform in ("sagemaker-realtime", "sagemaker-serverless")]
    if (not role or (lambda_configs and not code) or (endpoint_configs and not image)
            or (training_configs and not (training_image and training_output))):
        raise BadInput("AWS trials need a role and the workload's package",
                       hint="set ADVISOR_AWS_ROLE_ARN, and ADVISOR_AWS_LAMBDA_CODE for Lambda, "
                            "ADVISOR_AWS_SAGEMAKER_IMAGE (with ADVISOR_AWS_SAGEMAKER_MODEL_DATA) for endpoints, or "
                            "ADVISOR_AWS_TRAINING_IMAGE and ADVISOR_AWS_TRAINING_OUTPUT for training slices",
                       fields={"backend": "aws not configured"})
    if any(c.platform not in ("lambda", "sagemaker-training", "sagemaker-realtime", "sagemaker-serverless")
           for c in configs):
        raise BadInput("AWS trials run on lambda, sagemaker-realtime, sagemaker-serverless and sagemaker-training",
                       hint="ec2 and lambda-training configs are not profiled on AWS", fields={"platform": "unsupported"})
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
                          timeout_s=AWS_TRIAL_TIMEOUT_S) as trials:
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
                keep(len(results), slices.slice(config, steps, max_runtime_s=TRAINING_SLICE_MAX_S))
    progress(1.0, "done")
    return {"workload": spec.id, "backend": "aws", "profiles": results, "skipped": []}
