"""A data-parallel training worker: the same code runs as a Lambda handler and as a local worker process.

Each step the worker computes the gradient of its shard's batch, averages it with the other workers' through the
channel (scatter-reduce), and applies the average with its optimizer, so all workers hold identical weights. When
its time budget runs out it checkpoints weights, optimizer state and the next step, and returns "continue": on
Lambda the handler re-invokes itself before the 15-minute limit; the resumed run is exactly the uninterrupted one.
"""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from advisor.workloads import WorkloadSpec
from advisor.workloads.serverless_training.sync import SyncOptions, scatter_reduce

LAMBDA_LIMIT_S = 900
MARGIN_S = 60  # time kept to write the checkpoint and re-invoke
UNION_WIDTHS = (2, 4, 8)  # worker counts whose aggregate density a slice measures


@dataclass
class RunConfig:
    run: str
    worker: int
    workers: int
    steps: int
    spec: WorkloadSpec
    sync: SyncOptions = field(default_factory=SyncOptions)
    learning_rate: float = 1e-3
    evaluate_every: int = 0  # worker 0 scores the held-out rows every this many steps (an epoch) and at the end


class Checkpoints:
    """Checkpoints in S3: weights, optimizer state and the next step, one object per worker."""

    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix.rstrip("/")

    def key(self, run: str, worker: int) -> str:
        return f"{self.prefix}/{run}/checkpoint-w{worker}.npz"

    def _write(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data)

    def _read(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def save(self, run: str, worker: int, step: int, weights: list[np.ndarray], optimizer: list[np.ndarray]) -> None:
        buf = io.BytesIO()
        arrays = {f"w{k}": w for k, w in enumerate(weights)} | {f"o{k}": o for k, o in enumerate(optimizer)}
        np.savez(buf, step=np.array(step), **arrays)
        self._write(self.key(run, worker), buf.getvalue())

    def load(self, run: str, worker: int) -> tuple[int, list[np.ndarray], list[np.ndarray]] | None:
        body = self._read(self.key(run, worker))
        if body is None:
            return None
        data = np.load(io.BytesIO(body))
        weights = [data[f"w{k}"] for k in range(sum(1 for n in data.files if n.startswith("w")))]
        optimizer = [data[f"o{k}"] for k in range(sum(1 for n in data.files if n.startswith("o")))]
        return int(data["step"]), weights, optimizer


class ProgressFile:
    """A local worker's latest step and loss in a small JSON file beside its checkpoints, written at most every
    INTERVAL_S seconds (atomically) and at the last step: what a progress bar shows between checkpoints."""

    def __init__(self, path: str, steps: int, interval_s: float = 1.0) -> None:
        self.path, self.steps, self.interval_s, self._last = path, steps, interval_s, 0.0

    def __call__(self, step: int, loss: float) -> None:
        import json
        import os

        now = time.monotonic()
        if now - self._last < self.interval_s and step < self.steps:
            return
        self._last = now
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with open(self.path + ".tmp", "w") as f:
            json.dump({"step": step, "loss": loss}, f)
        os.replace(self.path + ".tmp", self.path)

    @staticmethod
    def read(path: str) -> dict[str, Any] | None:
        import json

        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None


class FileCheckpoints(Checkpoints):
    """The same checkpoints in a local folder, for workers run as local processes. Written atomically."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.prefix = ""

    def key(self, run: str, worker: int) -> str:
        import os

        return os.path.join(self.directory, run, f"checkpoint-w{worker}.npz")

    def _write(self, key: str, data: bytes) -> None:
        import os

        os.makedirs(os.path.dirname(key), exist_ok=True)
        with open(key + ".tmp", "wb") as f:
            f.write(data)
        os.replace(key + ".tmp", key)

    def _read(self, key: str) -> bytes | None:
        try:
            with open(key, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        import os

        try:
            os.unlink(key)
        except FileNotFoundError:
            pass


def train(cfg: RunConfig, channel: Any, checkpoints: Checkpoints, budget_s: float,
          clock: Callable[[], float] = time.monotonic,
          on_step: Callable[[int, float], None] | None = None) -> dict[str, Any]:
    """Train from the checkpoint (or the start) until done or out of budget; return what happened. ON_STEP is told
    each finished step's number and loss (a progress display)."""
    from advisor.workloads.ncf import _quiet_tensorflow
    from advisor.workloads.training_tasks import task_for

    tf = _quiet_tensorflow()
    tf.config.experimental.enable_op_determinism()
    task = task_for(cfg.spec)
    model = task.build()
    optimizer = tf.keras.optimizers.Adam(cfg.learning_rate)
    variables = model.trainable_variables
    optimizer.build(variables)
    for v, w in zip(variables, task.initial_weights([tuple(v.shape) for v in variables]) or ()):
        v.assign(w)  # every worker starts identical, whatever its process or thread did before
    start = 0
    saved = checkpoints.load(cfg.run, cfg.worker)
    if saved is not None:
        start, weights, opt_state = saved
        for v, w in zip(variables, weights):
            v.assign(w)
        for v, o in zip(optimizer.variables, opt_state):
            v.assign(o)
    gradient_of, apply_flat = _compiled_step(tf, model, optimizer, variables, task.loss())
    began = clock()
    losses: list[float] = []
    step_ms: list[float] = []
    cpu_ms: list[float] = []  # the process's CPU time per step, all threads: what the CPU share let it use
    batch_ms: list[float] = []  # preparing (or, overlapped, waiting for) the step's batch: what overlap can hide
    exchange_ms: list[float] = []
    phase_ms: list[dict[str, float]] = []  # each step's exchange by phase (sync.scatter_reduce)
    nonzero: list[float] = []  # the gradient's density: what a sparse exchange moves
    masks: list[np.ndarray] = []  # a slice's packed non-zero masks: how much W batches' gradients overlap
    gradient_size = sum(int(np.prod(v.shape)) for v in variables)
    held_out: list[dict[str, Any]] = []  # worker 0's held-out scores at each epoch's end, outside step_ms

    def stop_at(next_step: int, status: str) -> dict[str, Any]:
        """Checkpoint what resuming at NEXT_STEP needs, and report this invocation."""
        checkpoints.save(cfg.run, cfg.worker, next_step, [v.numpy() for v in variables],
                         [v.numpy() for v in optimizer.variables])
        return {"status": status, "next_step": next_step, "losses": losses, "step_ms": step_ms,
                "cpu_ms": cpu_ms, "batch_ms": batch_ms, "exchange_ms": exchange_ms, "phase_ms": phase_ms,
                "nonzero": nonzero, "held_out": held_out,
                "union_nonzero": union_densities(masks, gradient_size, UNION_WIDTHS)}

    batches = Batches(cfg, task)
    try:
        for step in range(start, cfg.steps):
            if step > start and clock() - began > budget_s:  # every invocation makes at least one step of progress
                return stop_at(step, "continue")
            step_began, cpu_began = time.perf_counter(), time.process_time()
            batch = batches.take(step)
            batch_ms.append((time.perf_counter() - step_began) * 1000.0)
            loss, parts = gradient_of(*batch)  # (inputs, target)
            flat = np.concatenate([part.numpy() for part in parts])
            nonzero.append(float(np.count_nonzero(flat)) / flat.size)
            exchange_began = time.perf_counter()
            if cfg.workers > 1:  # with overlap, the next batch is prepared once this worker's writes are out
                phases: dict[str, float] = {}
                averaged = scatter_reduce(channel, cfg.run, step, cfg.worker, cfg.workers, flat, cfg.sync, phases,
                                          written=lambda: batches.prepare(step + 1))
                phase_ms.append({phase: seconds * 1000.0 for phase, seconds in phases.items()})
            else:
                batches.prepare(step + 1)
                averaged = flat  # a training slice: one worker has nothing to exchange
            exchange_ms.append((time.perf_counter() - exchange_began) * 1000.0)
            apply_flat(tf.constant(averaged, dtype=tf.float32))
            losses.append(float(loss))
            step_ms.append((time.perf_counter() - step_began) * 1000.0)
            cpu_ms.append((time.process_time() - cpu_began) * 1000.0)
            if on_step is not None:
                on_step(step + 1, losses[-1])
            if _scores_after(cfg, step):
                from advisor.workloads.training_tasks import score

                scoring_began = time.perf_counter()
                held_out.append({"step": step + 1, "epoch": round((step + 1) / cfg.evaluate_every, 3),
                                 **score(task, model), "ms": round((time.perf_counter() - scoring_began) * 1000, 1)})
            if channel is None and len(masks) < max(UNION_WIDTHS):  # a slice's first steps, not timed; a run: none
                masks.append(np.packbits(flat != 0))
    finally:
        batches.close()
    return stop_at(cfg.steps, "done")


def _scores_after(cfg: RunConfig, step: int) -> bool:
    """Whether worker 0 scores the held-out rows after STEP: at each epoch's end and the run's."""
    return cfg.worker == 0 and cfg.evaluate_every > 0 and ((step + 1) % cfg.evaluate_every == 0
                                                           or step + 1 == cfg.steps)


class Batches:
    """A worker's batches, each step's made when it is taken or, with overlap, prepared ahead in a thread: the next
    batch does not depend on this step's weights, so it can be made while the exchange waits."""

    def __init__(self, cfg: RunConfig, task: Any) -> None:
        self.cfg = cfg
        self.task = task
        self._thread = ThreadPoolExecutor(max_workers=1) if cfg.sync.overlap else None
        self._ahead: dict[int, Any] = {}  # step -> its batch's future

    def prepare(self, step: int) -> None:
        if self._thread is not None and step < self.cfg.steps:
            self._ahead[step] = self._thread.submit(self.task.batch, self.cfg.worker, self.cfg.workers, step)

    def take(self, step: int) -> tuple[np.ndarray, ...]:
        ahead = self._ahead.pop(step, None)
        return ahead.result() if ahead is not None else self.task.batch(self.cfg.worker, self.cfg.workers, step)

    def close(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=True)


def union_densities(masks: list[np.ndarray], size: int, widths: tuple[int, ...] = (2, 4, 8)) -> dict[str, float]:
    """For each W in WIDTHS (up to the number of MASKS), the mean density of the union of W consecutive steps'
    non-zero masks (packed bits of SIZE entries). Batches are drawn independently, so W steps of one worker stand
    for one step of W workers: the density of the aggregate a sparse exchange publishes, which the workers'
    overlap (common rows of an embedding, the dense layers) keeps below what independent entries would give."""
    out: dict[str, float] = {}
    for width in widths:
        windows = [masks[k:k + width] for k in range(0, len(masks) - width + 1, width)]
        if not windows:
            break
        out[str(width)] = float(np.mean([np.unpackbits(np.bitwise_or.reduce(w), count=size).sum() / size
                                         for w in windows]))
    return out


def _compiled_step(tf: Any, model: Any, optimizer: Any, variables: list, loss_fn: Any) -> tuple[Callable, Callable]:
    """The step's two halves as TensorFlow graphs: (batch -> loss and the flat parts of the gradient) and (flat
    averaged gradient -> optimizer update). Run eagerly, their per-operation overhead was 5x the arithmetic (88 ms
    against 18 ms a step for the benchmark's model on one core), which a Lambda's fraction of a vCPU stretches."""
    sizes = [int(np.prod(v.shape)) for v in variables]

    @tf.function
    def gradient_of(inputs: Any, target: Any) -> tuple[Any, list]:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(loss_fn(target, model(inputs, training=True)))  # a named loss is per sample
        return loss, [tf.reshape(tf.convert_to_tensor(g), [-1]) for g in tape.gradient(loss, variables)]

    @tf.function
    def apply_flat(flat: Any) -> None:
        parts = tf.split(flat, sizes)
        optimizer.apply_gradients([(tf.reshape(part, v.shape), v) for part, v in zip(parts, variables)])

    return gradient_of, apply_flat


def gradient_bytes(spec: WorkloadSpec) -> int:
    """Size of one worker's flat float32 gradient: what every step exchanges."""
    from advisor.workloads.training_tasks import task_for

    return task_for(spec).gradient_bytes
