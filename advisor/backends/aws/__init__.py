"""Trials on real AWS: Lambda functions, SageMaker endpoints and training jobs, and their clean-up.

Unlike the local backend, whose targets the inference profiler drives, AWS trials measure themselves (a Lambda
invocation's REPORT line, an endpoint's load test and CloudWatch latency, a training job's metric), so this backend
runs whole trials: `run` hands each Profile to KEEP as soon as it is measured.
"""

from __future__ import annotations

from typing import Any, Callable

from advisor.core import platforms, settings
from advisor.core.domain import Config, Profile
from advisor.core.errors import BadInput


class AwsBackend:
    name = "aws"
    live = True  # runs trials (replay answers them from measurements)
    runs_own_trials = True  # measures its trials itself, not through the profilers
    costs_money = True

    def check(self, config: Config) -> str | None:
        if platforms.of(config).aws_trials is None:
            on_aws = [n for n in platforms.names() if platforms.get(n).aws_trials]
            return f"{config.platform} configs are not profiled on AWS (AWS trials run on {', '.join(on_aws)})"
        return None

    def default_platforms(self) -> tuple[str, ...]:
        """What a profile tries when no platform is named: the platforms whose trials cost cents (per
        invocation), not endpoint-hours."""
        return tuple(n for n in platforms.names() if platforms.get(n).aws_trials == "function")

    def estimated_usd(self, configs: list[Config], invocations: int, timeout_s: float | None = None) -> float:
        """The most the trials can cost: each platform's bound (an invocation at its timeout, or at TIMEOUT_S for a
        user's own function, an endpoint for its longest trial, Serverless at the request limit)."""
        from advisor.core import prices

        table = prices.from_settings()
        return sum(platforms.of(c).trial_cost_bound(c, invocations, table, timeout_s) for c in configs)

    def function_facts(self, function: str) -> dict[str, Any]:
        """A user's existing Lambda function, as tuning needs it (name, architecture, timeout, memory)."""
        from advisor.backends.aws.function_tuning import function_facts

        return function_facts(function)

    def require_settings(self, configs: list[Config], spec: Any = None) -> None:
        """Refuse before anything starts when the role or a package the configs need is not set."""
        for config in configs:
            reason = self.check(config)
            if reason:
                raise BadInput(reason, hint="leave those platforms out with --platform",
                               fields={"platform": "unsupported"})
        runners = {platforms.of(c).aws_trials for c in configs}
        own_model = bool(spec is not None and spec.params.get("model"))
        if own_model and "function" in runners:
            raise BadInput("a model of your own is tuned on Lambda through its own function",
                           hint="give --function NAME --payload FILE (the function is restored afterwards)",
                           fields={"function": "required"})
        endpoint_ready = (settings.get("AWS_MODEL_BUCKET") if own_model else
                          settings.get("AWS_SAGEMAKER_IMAGE"))
        if (not settings.get("AWS_ROLE_ARN") or ("function" in runners and not settings.get("AWS_LAMBDA_CODE"))
                or ("endpoint" in runners and not endpoint_ready)
                or ("training-job" in runners and not (settings.get("AWS_TRAINING_IMAGE")
                                                   and settings.get("AWS_TRAINING_OUTPUT")))):
            raise BadInput("AWS trials need a role and the workload's package",
                           hint="set ADVISOR_AWS_ROLE_ARN, and ADVISOR_AWS_LAMBDA_CODE for Lambda, "
                                + ("ADVISOR_AWS_MODEL_BUCKET (where your model is uploaded) for endpoints"
                                   if own_model else "ADVISOR_AWS_SAGEMAKER_IMAGE (with ADVISOR_AWS_SAGEMAKER_MODEL_DATA) "
                                   "for endpoints") + ", or ADVISOR_AWS_TRAINING_IMAGE and ADVISOR_AWS_TRAINING_OUTPUT "
                                "for training slices", fields={"backend": "aws not configured"})

    def run(self, spec: Any, configs: list[Config], plan: Any, keep: Callable[[Profile], None],
            progress: Callable[[float, str], None], concurrency: int | None = None, steps: int = 100,
            function: str | None = None, payload: Any = None) -> None:
        """Every config's trial: Lambda (one function for the run, a version per config; or the user's own
        FUNCTION, tuned in place with PAYLOAD and restored), SageMaker endpoints (one per config) and training slices
        (one job each); everything a trial creates is tagged and deleted afterwards, whatever happens."""
        done = [0]

        def step(config: Config, what: str) -> None:
            progress(done[0] / len(configs), f"{config.key}: {what}")

        def kept(profile: Profile) -> None:
            done[0] += 1
            keep(profile)

        if function:
            from advisor.backends.aws.function_tuning import FunctionTuning

            with FunctionTuning(spec.id, function) as tuning:
                _lambda_trials(tuning, configs, payload, plan, concurrency, step, kept)
            return
        self.require_settings(configs, spec)
        role = settings.get("AWS_ROLE_ARN")
        by_runner = {r: [c for c in configs if platforms.of(c).aws_trials == r] for r in ("function", "endpoint",
                                                                                             "training-job")}
        payload = spec.params.get("sample") or _reference_request(spec, plan.seed)
        if by_runner["function"]:
            from advisor.backends.aws.lambda_trials import LambdaTrials

            code = settings.get("AWS_LAMBDA_CODE")
            bucket, _, key = code[5:].partition("/")
            package = {"S3Bucket": bucket, "S3Key": key} if code.startswith("s3://") else {"ImageUri": code}
            timeout_s = platforms.of(by_runner["function"][0]).trial_timeout_s
            with LambdaTrials(spec.id, role, package, settings.get("AWS_LAMBDA_HANDLER"), timeout_s=timeout_s) as trials:
                _lambda_trials(trials, by_runner["function"], payload, plan, concurrency, step, kept)
        if by_runner["endpoint"]:
            from advisor.backends.aws.sagemaker_trials import SageMakerTrials

            image, model_data = _serving(spec, by_runner["endpoint"])
            with SageMakerTrials(spec.id, role, image, model_data) as endpoints:
                for config in by_runner["endpoint"]:
                    step(config, "starting a SageMaker endpoint (minutes)")
                    kept(endpoints.trial(config, payload, requests_per_level=plan.requests_per_level,
                                         latency_target_ms=plan.latency_target_ms))
        if by_runner["training-job"]:
            from advisor.backends.aws.training_jobs import TrainingSlices

            with TrainingSlices(spec.id, role, settings.get("AWS_TRAINING_IMAGE"),
                                settings.get("AWS_TRAINING_OUTPUT")) as slices:
                for config in by_runner["training-job"]:
                    step(config, f"training slice of {steps} steps")
                    kept(slices.slice(config, steps, max_runtime_s=platforms.of(config).trial_timeout_s))


def _reference_request(spec: Any, seed: int) -> dict[str, Any]:
    from advisor.workloads.ncf import request_for

    return request_for(spec, spec.candidates_per_request, seed=seed)


def _lambda_trials(trials: Any, configs: list[Config], payload: Any, plan: Any, concurrency: int | None,
                   step: Callable[[Config, str], None], kept: Callable[[Profile], None]) -> None:
    """Each config's trial on Lambda; with CONCURRENCY, a burst of that many at once on a fresh version, whose
    cold starts and p95 join the profile."""
    for config in configs:
        step(config, "deploying and invoking on AWS Lambda")
        prof = trials.trial(config, payload, invocations=plan.invocations, warmup=plan.warmup)
        if concurrency and prof.feasible:
            burst = trials.burst(config, payload, concurrency, 2 * concurrency)
            prof.summary.update({k: v for k, v in burst.summary.items() if k.startswith("burst_")})
            prof.summary["burst_p95_ms"] = burst.summary.get("p95_ms")
        kept(prof)


def _serving(spec: Any, configs: list[Config]) -> tuple[str, str | None]:
    """(image, model data) of the endpoints: the settings' for the reference workload; for a user's model, its
    SavedModel packaged for TF Serving and uploaded (once per content), and the region's TF Serving image unless
    ADVISOR_AWS_SAGEMAKER_IMAGE names one."""
    if not spec.params.get("model"):
        return settings.get("AWS_SAGEMAKER_IMAGE"), settings.get("AWS_SAGEMAKER_MODEL_DATA")
    import tempfile
    from pathlib import Path

    from advisor.backends.aws import model_packaging

    cpu_type = next((c.instance_type for c in configs if c.instance_type), None)
    image = settings.get("AWS_SAGEMAKER_IMAGE") or model_packaging.serving_image(settings.get("REGION"), cpu_type)
    with tempfile.TemporaryDirectory() as workdir:
        archive = model_packaging.tf_serving_archive(Path(spec.params["model_path"]), Path(workdir))
        return image, model_packaging.upload(archive, settings.get("AWS_MODEL_BUCKET"),
                                             spec.params["model"]["digest"])
