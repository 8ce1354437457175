"""Training runs: carry out a training configuration (a recommendation's, or one named) and record it with its
measured time, cost and held-out quality beside the prediction; checkpointed, so a run that was stopped resumes
where it was.

Here (the local backend): serverless training as worker processes under Lambda's CPU share, exchanging gradients
through a channel; a Memcached channel without an address is started by the run on a free loopback port. On AWS
(service/cloud_training.py): Lambda workers over S3 or DynamoDB, or a SageMaker training job.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from advisor.core import platforms, settings
from advisor.core.domain import Config
from advisor.core.errors import BadInput, Conflict, NotFound, TrialFailed
from advisor.service.common import Progress, _number, store

KIND = "training-run"
DEFAULT_BUDGET_S = 30.0  # one local invocation's time budget: a checkpoint at least this often


BACKENDS = {"local": ("lambda-workers",), "aws": ("lambda-workers", "instances")}  # the trainings each runs


def _backend(body: dict[str, Any]) -> str:
    backend = str(body.get("backend") or "local")
    if backend not in BACKENDS:
        raise BadInput(f"runs go to the local backend or to AWS, not {backend!r}", hint="--backend local|aws",
                       fields={"backend": "unknown"})
    return backend


def _config(body: dict[str, Any]) -> tuple[str, Config, dict[str, Any] | None]:
    """(workload, the training config, the recommendation it carries out or None)."""
    runs = BACKENDS[_backend(body)]
    if body.get("recommendation"):
        rec = store().get_recommendation(str(body["recommendation"]))
        chosen = rec["chosen"]
        if platforms.get(chosen["platform"]).training not in runs:
            raise BadInput(f"recommendation {rec['id']} is for {chosen['platform']}, which this backend does not "
                           "train on", hint="serverless training (lambda-training) runs here and on AWS; training "
                           "jobs (sagemaker-training) with --backend aws", fields={"recommendation": "not runnable"})
        config = Config.from_dict({k: chosen[k] for k in ("platform", "memory_mb", "instance_type", "instance_count",
                                                          "architecture", "channel") if k in chosen})
        return rec["workload"], config, rec
    workload = body.get("workload")
    if not workload or not body.get("config"):
        raise BadInput("a run needs a recommendation, or a workload and a config", hint="--recommendation ID, or "
                       "--workload W --config lambda-training:1769 --workers 2 --channel memcached",
                       fields={"recommendation": "required"})
    from advisor.service.common import config_from_text

    base = config_from_text(str(body["config"]))
    if platforms.of(base).training not in runs:
        raise BadInput(f"{base.key} is not a training config this backend runs", hint="e.g. --config "
                       "lambda-training:1769, or sagemaker-training:ml.c5.xlarge:2 with --backend aws",
                       fields={"config": "not runnable"})
    if platforms.of(base).training == "instances":
        return str(workload), platforms.validate(base), None
    workers = _number(body, "workers", base.instance_count, int, 1)
    if base.instance_count > 1 and workers != base.instance_count:
        raise BadInput(f"{body['config']} names {base.instance_count} workers, --workers {workers}",
                       hint="give the count once", fields={"workers": "conflicts with the config"})
    channel = body.get("channel") or None
    if workers > 1 and not channel:
        raise BadInput("workers exchange gradients through a channel", hint="give --channel memcached (started "
                       "here when no address is given), s3=BUCKET or dynamodb=TABLE", fields={"channel": "required"})
    name = str(channel).partition("=")[0] if channel else None
    config = platforms.validate(Config(base.platform, base.memory_mb, None, workers, base.architecture, name))
    return str(workload), config, None


def _channel_spec(body: dict[str, Any], config: Config) -> dict[str, Any] | None:
    """The channel's spec for the workers; a Memcached without an address is started by the run (host None)."""
    if not config.channel or config.instance_count < 2:
        return None
    given = str(body.get("channel") or config.channel)
    name, _, target = given.partition("=")
    if name != config.channel:
        raise BadInput(f"the run's config exchanges through {config.channel}, not {name}",
                       hint=f"give --channel {config.channel}[=ADDRESS], or recommend for {name}",
                       fields={"channel": "not the config's"})
    if name == "memcached":
        host, _, port = target.rpartition(":")
        return {"kind": "memcached", "host": host or None, "port": int(port) if port.isdigit() else None}
    if name == "s3" and target:
        return {"kind": "s3", "bucket": target, "prefix": "advisor-runs"}
    if name == "dynamodb" and target:
        return {"kind": "dynamodb", "table": target}
    raise BadInput(f"the {name} channel needs its address", hint="memcached[=HOST:PORT], s3=BUCKET or "
                   "dynamodb=TABLE", fields={"channel": "no address"})


@contextlib.contextmanager
def _channel_server(spec: dict[str, Any] | None) -> Iterator[dict[str, Any] | None]:
    """SPEC, with a Memcached started on a free loopback port when it has no address; stopped afterwards."""
    if spec is None or spec["kind"] != "memcached" or spec["host"]:
        yield spec
        return
    from profilers.memcached_server import memcached_on_loopback

    with contextlib.ExitStack() as stack:
        try:
            host, port = stack.enter_context(memcached_on_loopback(megabytes=512))
        except FileNotFoundError:
            raise BadInput("the run needs a Memcached and none is installed here", hint="install memcached, or "
                           "give --channel memcached=HOST:PORT", fields={"channel": "memcached missing"}) from None
        except RuntimeError as exc:
            raise TrialFailed("Memcached did not start", hint=str(exc)[-300:]) from None
        yield {**spec, "host": host, "port": port}


def _steps(body: dict[str, Any], rec: dict[str, Any] | None, spec: Any, workers: int) -> int:
    steps = _number(body, "steps", None, int, 1)
    if steps is not None:
        return steps
    samples = (rec or {}).get("basis", {}).get("samples") or spec.params.get("samples")
    epochs = (rec or {}).get("basis", {}).get("epochs") or _number(body, "epochs", 1.0, float, 0.0)
    if not samples:
        raise BadInput("how long to train is not known", hint="give --steps N", fields={"steps": "required"})
    from recommender.training import TrainingJob

    return TrainingJob(int(samples), float(epochs), spec.batch_size, 0).iterations(workers, spec.batch_size)


def _epoch_steps(rec: dict[str, Any] | None, spec: Any, workers: int) -> int:
    """Steps in one pass over the training rows (0 when their number is not known): how often held-out scores are
    taken."""
    samples = ((rec or {}).get("basis", {}).get("samples") or spec.params.get("samples")
               or (spec.params.get("model") or {}).get("samples"))
    from recommender.serverless_model import iterations_per_epoch

    return iterations_per_epoch(int(samples), workers, spec.batch_size) if samples else 0


def prepare(body: dict[str, Any]) -> dict[str, Any]:
    """Everything a run needs, checked before it starts; a new run is recorded (resuming: the stopped one)."""
    from advisor.service.workloads import runnable

    if body.get("resume"):
        record = get_run(str(body["resume"]))
        if record["status"] == "succeeded":
            raise Conflict(f"{record['id']} has finished", hint="start a new run", fields={"resume": "finished"})
        run_id, request = record["id"], record["request"]
    else:
        request, run_id = dict(body), None
    workload, config, rec = _config(request)
    spec = runnable(workload)
    channel = _channel_spec(request, config)
    steps = _steps(request, rec, spec, config.instance_count)
    backend = _backend(request)
    if backend == "aws":
        from advisor.service.cloud_training import check

        check(spec, config, channel)
    if run_id is None:
        run_id = store().create_job(KIND, request)
    store().update_job(run_id, status="running", message=f"{config.key}: {steps} steps")
    return {"run_id": run_id, "request": request, "config": config, "rec": rec, "spec": spec, "channel": channel,
            "steps": steps, "epoch_steps": _epoch_steps(rec, spec, config.instance_count), "backend": backend}


def execute(prepared: dict[str, Any], progress: Progress = lambda f, m: None) -> dict[str, Any]:
    """Train to the end (from the checkpoints, when resuming) and record what was measured."""
    run_id = prepared["run_id"]
    started = time.monotonic()
    try:
        if prepared["backend"] == "aws":
            from advisor.service.cloud_training import train_on_aws

            result = train_on_aws(prepared, progress, started)
        else:
            result = _train_here(prepared, progress, started)
    except BaseException as exc:
        store().update_job(run_id, status="failed", error={
            "code": "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed",
            "message": str(exc)[:500] or type(exc).__name__,
            "hint": f"carry on with `advisor train --resume {run_id}`", "fields": {}})
        raise
    result.update(backend=prepared["backend"], workload=prepared["spec"].id)
    store().update_job(run_id, status="succeeded", progress=1.0, result=result)
    progress(1.0, "done")
    return store().get_job(run_id)


def _train_here(prepared: dict[str, Any], progress: Progress, started: float) -> dict[str, Any]:
    """The run as worker processes on this machine; what it measured."""
    from advisor.service.run_measures import align_checkpoints, clear_channel, measured_on_lambda, predicted_s
    from advisor.workloads.serverless_training.worker import FileCheckpoints

    run_id, config, steps = prepared["run_id"], prepared["config"], prepared["steps"]
    directory = Path(settings.get("DATA_DIR")) / "runs" / run_id
    directory.mkdir(parents=True, exist_ok=True)
    align_checkpoints(FileCheckpoints(str(directory)), run_id, config.instance_count)
    try:
        with _channel_server(prepared["channel"]) as live_channel:
            results = _train(run_id, prepared["spec"], config, steps, live_channel, directory, prepared["request"],
                             progress, started, prepared["epoch_steps"] or steps, predicted_s(prepared["rec"]))
    finally:
        cleared = clear_channel(prepared["channel"], run_id)
    result = measured_on_lambda(run_id, config, steps, results, time.monotonic() - started, prepared["rec"])
    result["channel_items_removed"] = cleared
    epochs = results[0].get("held_out", [])  # worker 0's, at each epoch's end and the run's, in this session
    final = [{k: e[k] for k in ("loss", "auc", "rows")} for e in epochs if e["step"] == steps]
    # a resumed run that had already reached its end scored nothing now: the checkpoint is scored apart
    result["held_out"] = final[-1] if final else held_out(prepared["spec"], directory, run_id)
    result["held_out_epochs"] = epochs
    return result


def run(body: dict[str, Any], progress: Progress = lambda f, m: None) -> dict[str, Any]:
    """Start a run (or, with body["resume"], carry on a stopped one) and wait for it; its record."""
    return execute(prepare(body), progress)


def _train(run_id: str, spec: Any, config: Config, steps: int, channel: dict[str, Any] | None, directory: Path,
           request: dict[str, Any], progress: Progress, started: float, evaluate_every: int,
           predicted_s: float | None = None) -> list[dict[str, Any]]:
    from advisor.workloads.serverless_training.worker import FileCheckpoints
    from profilers.serverless_slices import run_local

    done = threading.Event()
    predicted = f" of {predicted_s:.0f} s predicted" if predicted_s else ""

    def watch() -> None:  # the progress bar: worker 0's latest step and loss
        from advisor.workloads.serverless_training.worker import ProgressFile
        from profilers.serverless_slices import progress_path

        checkpoints = FileCheckpoints(str(directory))
        while not done.wait(1.0):
            latest = ProgressFile.read(progress_path(str(directory), run_id))
            if latest is None:
                saved = checkpoints.load(run_id, 0)
                latest = {"step": saved[0] if saved else 0, "loss": None}
            loss = f", loss {latest['loss']:.4f}" if latest.get("loss") is not None else ""
            progress(latest["step"] / steps, f"{config.key}: step {latest['step']}/{steps}{loss}, "
                                             f"{time.monotonic() - started:.0f} s{predicted}")

    threading.Thread(target=watch, daemon=True).start()
    try:
        return run_local(run_id, spec, config.instance_count, steps, channel or {}, str(directory),
                         memory_mb=config.memory_mb or 1769,
                         budget_s=_number(request, "budget_s", DEFAULT_BUDGET_S, float, 1.0), max_invocations=100_000,
                         evaluate_every=evaluate_every)
    finally:
        done.set()


def held_out(spec: Any, directory: Path, run_id: str) -> dict[str, Any]:
    """The trained model's loss (and AUC, for a 0/1 target) on rows no worker trained on, computed in a process of
    its own: the reference recommender's held-out interactions, or the last tenth of a user's data."""
    import json
    import os
    import sys

    done = subprocess.run([sys.executable, "-m", "advisor.workloads.serverless_training.evaluate", json.dumps(spec.to_dict()),
                           str(directory), run_id], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": (done.stderr.strip().splitlines() or ["the evaluation did not run"])[-1][:300]}
    return json.loads(lines[-1])


def list_runs() -> list[dict[str, Any]]:
    return store().list_jobs(KIND)


def measured_runs(workload: str) -> list[Any]:
    """WORKLOAD's finished serverless-training runs, as what they tell the training model (recommender/training.py)."""
    from recommender.training import MeasuredRun

    out = []
    for record in list_runs():
        result = record.get("result") or {}
        if record["status"] != "succeeded" or result.get("workload") != workload or not result.get("step_ms_median"):
            continue
        config = Config.from_dict(result["config"])
        if platforms.of(config).training == "lambda-workers":
            out.append(MeasuredRun(record["id"], config, float(result["step_ms_median"])))
    return out


def get_run(run_id: str) -> dict[str, Any]:
    record = store().get_job(run_id)
    if record["kind"] != KIND:
        raise NotFound(f"no training run {run_id!r}", hint="see `advisor runs`", fields={"id": "unknown"})
    return record


def start_run_job(body: dict[str, Any]) -> dict[str, Any]:
    """Check and record now, train in the background (the API); the caller polls GET /training-runs/<id>."""
    import contextvars

    prepared = prepare(body)

    def progress(fraction: float, message: str) -> None:
        store().update_job(prepared["run_id"], progress=round(min(fraction, 0.999), 4), message=message)

    def work() -> None:
        try:
            execute(prepared, progress)
        except Exception:  # the record says how it ended
            pass

    threading.Thread(target=contextvars.copy_context().run, args=(work,), daemon=True).start()
    return store().get_job(prepared["run_id"])
