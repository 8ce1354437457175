"""Training runs on AWS: Lambda workers exchanging gradients through S3 or DynamoDB (the run's function is made
from the workload's package, ADVISOR_AWS_LAMBDA_CODE, and deleted afterwards), or a SageMaker training job of the
config's instance type and count (ADVISOR_AWS_TRAINING_IMAGE, whose script prints `step_ms=`). Everything is checked
before anything is created; the checkpoints stay in S3 for `--resume`.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from advisor.core import platforms, settings
from advisor.core.domain import Config
from advisor.core.errors import BadInput
from advisor.service.common import Progress

CHECKPOINT_PREFIX = "advisor-runs"


def check(spec: Any, config: Config, channel: dict[str, Any] | None) -> None:
    """Refuse a run AWS cannot carry out as asked, before it is recorded."""
    from advisor.core.aws import require_credentials

    require_credentials("training on AWS")
    if spec.params.get("model"):
        raise BadInput("a model of your own is trained on AWS only by your own script", hint="run it here "
                       "(--backend local), or as a SageMaker training job of your image", fields={"workload": "own model"})
    role = settings.get("AWS_ROLE_ARN")
    if platforms.of(config).training == "instances":
        if not (role and settings.get("AWS_TRAINING_IMAGE") and settings.get("AWS_TRAINING_OUTPUT")):
            raise BadInput("a training job needs a role, the training image and an output location",
                           hint="set ADVISOR_AWS_ROLE_ARN, ADVISOR_AWS_TRAINING_IMAGE and ADVISOR_AWS_TRAINING_OUTPUT",
                           fields={"backend": "aws not configured"})
        return
    if channel is not None and channel["kind"] == "memcached":
        raise BadInput("Lambda workers reach ElastiCache only inside its VPC, which the advisor does not set up",
                       hint="give --channel s3=BUCKET or dynamodb=TABLE", fields={"channel": "memcached on AWS"})
    if not (role and str(settings.get("AWS_LAMBDA_CODE") or "").startswith("s3://") and _checkpoint_bucket(channel)):
        raise BadInput("Lambda workers need a role, the workload's package in S3 and a bucket for checkpoints",
                       hint="set ADVISOR_AWS_ROLE_ARN and ADVISOR_AWS_LAMBDA_CODE=s3://bucket/package.zip; "
                            "checkpoints go to the s3 channel's bucket, else ADVISOR_AWS_TRAINING_OUTPUT",
                       fields={"backend": "aws not configured"})


def _checkpoint_bucket(channel: dict[str, Any] | None) -> str | None:
    if channel is not None and channel["kind"] == "s3":
        return channel["bucket"]
    output = str(settings.get("AWS_TRAINING_OUTPUT") or "")
    if not output.startswith("s3://"):
        return None
    return output[5:].partition("/")[0] or None


def train_on_aws(prepared: dict[str, Any], progress: Progress, started: float) -> dict[str, Any]:
    if platforms.of(prepared["config"]).training == "instances":
        return _training_job(prepared, progress)
    return _lambda_workers(prepared, progress, started)


def _lambda_workers(prepared: dict[str, Any], progress: Progress, started: float) -> dict[str, Any]:
    from dataclasses import asdict

    from advisor.backends.aws.training_runs import LambdaWorkerRun, summarise
    from advisor.core import costs, prices
    from advisor.core.aws import client, translated
    from advisor.service.run_measures import align_checkpoints, clear_channel, measured_on_lambda
    from advisor.workloads.serverless_training.sync import OPTIMIZED
    from advisor.workloads.serverless_training.worker import Checkpoints
    from recommender.training import channel_unit_prices

    run_id, config, steps = prepared["run_id"], prepared["config"], prepared["steps"]
    bucket = _checkpoint_bucket(prepared["channel"])
    s3 = client("s3")
    checkpoints = Checkpoints(s3, bucket, CHECKPOINT_PREFIX)
    align_checkpoints(checkpoints, run_id, config.instance_count)
    for worker in range(config.instance_count):  # a resumed run starts without the stopped one's errors
        with translated("s3", "DeleteObject"):
            s3.delete_object(Bucket=bucket, Key=f"{CHECKPOINT_PREFIX}/{run_id}/results/w{worker}-error.json")
    code_bucket, _, code_key = str(settings.get("AWS_LAMBDA_CODE"))[5:].partition("/")
    event = {"run": run_id, "workers": config.instance_count, "steps": steps, "spec": prepared["spec"].to_dict(),
             "sync": asdict(OPTIMIZED), "evaluate_every": prepared["epoch_steps"] or steps,
             "channel": dict(prepared["channel"] or {"kind": "s3", "bucket": bucket}, prefix=f"grads/{run_id}"),
             "checkpoints": {"bucket": bucket, "prefix": CHECKPOINT_PREFIX}}
    try:
        with LambdaWorkerRun(run_id, event, config, settings.get("AWS_ROLE_ARN"),
                             {"S3Bucket": code_bucket, "S3Key": code_key}, s3=s3) as run:
            run.start()
            results = summarise(run.wait(steps, progress, started))
    finally:  # the checkpoints stay for --resume; the gradients of the steps are of no further use
        cleared = clear_channel(event["channel"], run_id)
    table = prices.from_settings()
    usage = {k: sum(r["usage"].get(k, 0) for r in results) for k in ("puts", "gets", "write_units", "read_units")}
    channel_usd = costs.channel_usd(event["channel"]["kind"], usage["puts"], usage["gets"], usage["write_units"],
                                    usage["read_units"], **{k: v or 0.0 for k, v in channel_unit_prices(table).items()})
    result = measured_on_lambda(run_id, config, steps, results, time.monotonic() - started, prepared["rec"],
                                billed_ms=statistics.fmean(r["lambda_ms"] for r in results), channel_usd=channel_usd)
    epochs = results[0]["held_out"]
    result["held_out"] = {k: v for k, v in epochs[-1].items() if k in ("loss", "auc", "rows")} if epochs else {}
    result["held_out_epochs"] = epochs
    result["checkpoints"] = f"s3://{bucket}/{CHECKPOINT_PREFIX}/{run_id}/"
    result["channel_items_removed"] = cleared
    return result


def _training_job(prepared: dict[str, Any], progress: Progress) -> dict[str, Any]:
    """A SageMaker training job of the run's steps on the config's instances; billed seconds from the job."""
    from advisor.backends.aws.training_jobs import TrainingSlices
    from advisor.core import costs, prices
    from advisor.service.run_measures import predicted_s

    config, steps, rec = prepared["config"], prepared["steps"], prepared["rec"]
    predicted = predicted_s(rec)
    limit_s = int(min(28 * 86400, max(3600, 3 * (predicted or 0.0))))  # SageMaker's longest job is 28 days
    progress(0.0, f"{config.key} on AWS: training job of {steps} steps (at most {limit_s} s)")
    with TrainingSlices(prepared["spec"].id, settings.get("AWS_ROLE_ARN"), settings.get("AWS_TRAINING_IMAGE"),
                        settings.get("AWS_TRAINING_OUTPUT")) as jobs:
        profile = jobs.slice(config, steps, max_runtime_s=limit_s)
    if not profile.feasible:
        from advisor.core.errors import TrialFailed

        raise TrialFailed(f"the training job did not complete: {profile.note}", hint="see the job in the SageMaker "
                          "console; a run past its limit needs a larger instance or fewer steps")
    billable_s = profile.summary.get("billable_s", 0.0)
    hourly = platforms.of(config).hourly_usd(config, prices.from_settings())
    cost = costs.training_on_instances(config.instance_count, hourly or 0.0, billable_s * 1000)
    return {"config": config.to_dict(), "key": config.key, "steps": steps, "run": prepared["run_id"],
            "measured_s": profile.summary.get("training_s", 0.0), "billable_s": billable_s,
            "step_ms_median": profile.summary.get("step_ms"), "invocations_per_worker": None,
            "loss_first": None, "loss_last": None, "usd_measured": round(cost.usd_total or 0.0, 6),
            "usd_measured_note": "instance-seconds the job billed x the instances x the hourly price"
                                 + ("" if hourly is not None else " (unpriced here: 0)"),
            "predicted_s": None if predicted is None else round(predicted, 3),
            "usd_predicted": rec["cost"]["usd_total"] if rec else None, "held_out": {}, "held_out_epochs": []}
