"""What a training run trains: the reference recommender on its synthetic interactions or on a public data set
(MovieLens 100K), or a user's Keras model on the user's data (an .npz file). The serverless-training worker asks its task for the model, the starting weights,
each worker's batch and the loss; the same worker code then trains either.

A user's data file holds the target as `y` and the inputs as `x` (one input) or under the model's input names.
Worker W of N takes, at step S, the rows from (S x N + W) x batch onwards, wrapping around the data: every
(step, worker) gets its own rows, and a resumed run takes the same ones. A data set's last tenth is held out.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from advisor.workloads import WorkloadSpec


class NcfTask:
    """The reference recommender: built from its spec, Glorot-initialised from the spec's seed."""

    def __init__(self, spec: WorkloadSpec) -> None:
        self.spec = spec

    def build(self) -> Any:
        from advisor.workloads.ncf import build_model

        return build_model(self.spec)

    def initial_weights(self, shapes: list[tuple[int, ...]]) -> list[np.ndarray] | None:
        """Glorot-uniform matrices and zero biases from a generator seeded by the spec alone."""
        rng = np.random.default_rng(self.spec.seed + 104_729)
        out = []
        for shape in shapes:
            if len(shape) < 2:
                out.append(np.zeros(shape, dtype=np.float32))
                continue
            limit = np.sqrt(6.0 / (shape[0] + shape[-1]))
            out.append(rng.uniform(-limit, limit, size=shape).astype(np.float32))
        return out

    def batch(self, worker: int, workers: int, step: int) -> tuple[Any, np.ndarray]:
        from advisor.workloads.ncf import synthetic_interactions

        spec = self.spec
        users, items, liked = synthetic_interactions(spec, spec.batch_size,
                                                     seed=spec.seed * 1_000_003 + step * workers + worker)
        return {"user": users, "item": items}, liked.reshape(-1, 1)

    def held_out(self) -> tuple[Any, np.ndarray]:
        """Interactions no worker trains on (another seed of the same tastes): what a run's quality is judged on."""
        from advisor.workloads.ncf import synthetic_interactions

        users, items, liked = synthetic_interactions(self.spec, HELD_OUT_ROWS, seed=self.spec.seed + 999_983)
        return {"user": users, "item": items}, liked.reshape(-1, 1)

    def loss(self) -> Any:
        import tensorflow as tf

        return tf.keras.losses.BinaryCrossentropy()

    @property
    def gradient_bytes(self) -> int:
        """Size of one worker's flat float32 gradient, from the architecture."""
        spec = self.spec
        params = spec.users * spec.embedding_dim + spec.items * spec.embedding_dim
        width = 3 * spec.embedding_dim
        for hidden in spec.hidden:
            params += width * hidden + hidden
            width = hidden
        params += width + 1
        return 4 * params


class DataSetTask(NcfTask):
    """The reference recommender on a public data set's ratings (advisor.workloads.datasets), in place of synthetic
    interactions: the same model and starting weights, real tastes."""

    def _data(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        from advisor.workloads.datasets import interactions

        return interactions(self.spec.params["dataset"], self.spec.seed)

    def batch(self, worker: int, workers: int, step: int) -> tuple[Any, np.ndarray]:
        users, items, liked = self._data()
        rows = wrapped_rows(step, worker, workers, self.spec.batch_size, trained_rows(len(liked)))
        return {"user": users[rows], "item": items[rows]}, liked[rows].reshape(-1, 1)

    def held_out(self) -> tuple[Any, np.ndarray]:
        users, items, liked = self._data()
        start = trained_rows(len(liked))
        return {"user": users[start:], "item": items[start:]}, liked[start:].reshape(-1, 1)


def trained_rows(n: int) -> int:
    """The rows trained on: all but the last tenth, which is held out (all of them for under ten rows)."""
    return n - n // 10 if n >= 10 else n


def wrapped_rows(step: int, worker: int, workers: int, size: int, n: int) -> np.ndarray:
    """The row numbers of WORKER's batch at STEP: its own SIZE rows of the first N, wrapping around."""
    return (np.arange(size) + (step * workers + worker) * size) % n


class UserModelTask:
    """A user's .keras model trained on their .npz data with a named Keras loss; it starts from the file's weights,
    which are the same in every worker."""

    def __init__(self, spec: WorkloadSpec, data: tuple[dict[str, np.ndarray], np.ndarray] | None = None) -> None:
        self.spec = spec
        self.params = spec.params
        self._loaded = data

    def build(self) -> Any:
        from advisor.workloads.ncf import _quiet_tensorflow

        tf = _quiet_tensorflow()
        return tf.keras.models.load_model(self.params["model_path"], compile=False, safe_mode=True)

    def initial_weights(self, shapes: list[tuple[int, ...]]) -> list[np.ndarray] | None:
        return None

    @property
    def _data(self) -> tuple[dict[str, np.ndarray], np.ndarray]:
        if self._loaded is None:
            self._loaded = load_data(self.params["data_path"])
        return self._loaded

    def _split(self) -> int:
        return trained_rows(len(self._data[1]))

    def batch(self, worker: int, workers: int, step: int) -> tuple[Any, np.ndarray]:
        inputs, target = self._data
        rows = wrapped_rows(step, worker, workers, self.spec.batch_size, self._split())
        picked = {name: values[rows] for name, values in inputs.items()}
        return (next(iter(picked.values())) if len(picked) == 1 else picked), target[rows]

    def held_out(self) -> tuple[Any, np.ndarray]:
        inputs, target = self._data
        start = self._split() if self._split() < len(target) else 0
        picked = {name: values[start:] for name, values in inputs.items()}
        return (next(iter(picked.values())) if len(picked) == 1 else picked), target[start:]

    def loss(self) -> Any:
        import tensorflow as tf

        return tf.keras.losses.get(self.params["loss"])

    @property
    def gradient_bytes(self) -> int:
        return 4 * int(self.params["model"]["trainable_parameters"])


HELD_OUT_ROWS = 4096


def auc(target: np.ndarray, score: np.ndarray) -> float | None:
    """The area under the ROC curve of SCORE for a 0/1 TARGET (ties count half); None unless both classes occur."""
    target, score = np.asarray(target).reshape(-1), np.asarray(score, dtype=float).reshape(-1)
    positives, negatives = score[target == 1], score[target == 0]
    if len(positives) == 0 or len(negatives) == 0 or len(positives) + len(negatives) != len(target):
        return None
    order = np.argsort(np.concatenate([positives, negatives]), kind="mergesort")
    ranks = np.empty(len(order))
    values = np.concatenate([positives, negatives])[order]
    k = 0
    while k < len(values):  # average ranks over ties
        j = k
        while j + 1 < len(values) and values[j + 1] == values[k]:
            j += 1
        ranks[order[k:j + 1]] = (k + j) / 2 + 1
        k = j + 1
    return float((ranks[:len(positives)].sum() - len(positives) * (len(positives) + 1) / 2)
                 / (len(positives) * len(negatives)))


def evaluate(spec: WorkloadSpec, weights: list[np.ndarray]) -> dict[str, Any]:
    """The held-out loss (and AUC, for a 0/1 target) of SPEC's model at WEIGHTS."""
    from advisor.workloads.ncf import _quiet_tensorflow

    _quiet_tensorflow()
    task = task_for(spec)
    model = task.build()
    for v, w in zip(model.trainable_variables, weights):
        v.assign(w)
    return score(task, model)


def score(task: Any, model: Any) -> dict[str, Any]:
    """MODEL's loss (and AUC, for a 0/1 target) on TASK's held-out rows, as it stands."""
    import tensorflow as tf

    inputs, target = task.held_out()
    predicted = np.asarray(model(inputs, training=False))
    loss = float(tf.reduce_mean(task.loss()(target, predicted)))
    return {"loss": loss, "auc": auc(target, predicted), "rows": int(len(target))}


def task_for(spec: WorkloadSpec) -> NcfTask | DataSetTask | UserModelTask:
    if spec.params.get("model"):
        return UserModelTask(spec)
    return DataSetTask(spec) if spec.params.get("dataset") else NcfTask(spec)


def load_data(path: str) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(inputs by name, target) of an .npz file; a ValueError saying what is missing."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    if "y" not in arrays:
        raise ValueError(f"the data file has no target array 'y' (it has {', '.join(sorted(arrays)) or 'nothing'})")
    target = arrays.pop("y")
    if not arrays:
        raise ValueError("the data file has no input arrays: put the inputs under 'x' or the model's input names")
    if any(len(values) != len(target) for values in arrays.values()) or len(target) == 0:
        raise ValueError("every array of the data file needs as many rows as 'y', and at least one")
    return arrays, target


def check_training(model_path: str, data_path: str, loss: str | None, batch_size: int) -> dict[str, Any]:
    """One training step of the model on the first batch of the data: what the advisor records, or {"error"}.
    Without LOSS, the loss the model was compiled with when it was saved."""
    import time

    from advisor.workloads.ncf import _quiet_tensorflow

    tf = _quiet_tensorflow()
    try:
        model = tf.keras.models.load_model(model_path, compile=False, safe_mode=True)
    except Exception as exc:
        return {"error": f"not a Keras model the advisor can train: {_first_line(exc)}", "field": "model"}
    try:
        inputs, target = load_data(data_path)
    except Exception as exc:
        return {"error": f"the data cannot be read: {_first_line(exc)}", "field": "data"}
    names = [t.name for t in model.inputs]
    if len(names) > 1 and set(inputs) != set(names):
        return {"error": f"the model's inputs are {sorted(names)}, the data holds {sorted(inputs)}", "field": "data"}
    if not loss:
        loss = _saved_loss(tf, model_path)
        if not loss:
            return {"error": "the model was saved without a loss, and none was given", "field": "loss"}
    try:
        loss_fn = tf.keras.losses.get(loss)
    except (ValueError, TypeError):
        return {"error": f"unknown Keras loss {loss!r}", "field": "loss"}
    spec = WorkloadSpec("check", "training", "", batch_size=batch_size,
                        params={"model_path": model_path, "data_path": data_path, "loss": loss})
    task = UserModelTask(spec, (inputs, target))
    features, labels = task.batch(0, 1, 0)
    variables = model.trainable_variables
    started = time.perf_counter()
    try:
        with tf.GradientTape() as tape:
            value = tf.reduce_mean(loss_fn(labels, model(features, training=True)))
        gradients = tape.gradient(value, variables)
    except Exception as exc:
        return {"error": f"a training step fails on the data: {type(exc).__name__}: {_first_line(exc)}",
                "field": "data"}
    if not variables or any(g is None for g in gradients):
        return {"error": "the loss does not depend on every trainable weight (or there are none)", "field": "model"}
    return {"format": "keras", "parameters": int(model.count_params()), "loss": loss,
            "trainable_parameters": int(sum(int(np.prod(v.shape)) for v in variables)), "samples": int(len(target)),
            "signature": {t.name: {"dtype": str(t.dtype), "shape": [None if d is None else int(d) for d in t.shape]}
                          for t in model.inputs},
            "first_step_ms": round((time.perf_counter() - started) * 1000.0, 1), "loss_value": float(value)}


def _saved_loss(tf: Any, model_path: str) -> str | None:
    """The name of the loss a .keras file was compiled with, if it was and the name is one Keras knows."""
    try:
        compiled = tf.keras.models.load_model(model_path, compile=True, safe_mode=True)
    except Exception:
        return None
    loss = getattr(compiled, "loss", None)
    name = loss if isinstance(loss, str) else getattr(loss, "name", None)
    return name if isinstance(name, str) else None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:600]
