"""The reference model: a neural collaborative filtering (NCF) recommender in Keras 3.

Interactions are synthetic and deterministic: each user and item has a hidden taste vector drawn from the
seed, and a user likes an item when their tastes align. No download, any size.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from advisor.workloads import WorkloadSpec


def _quiet_tensorflow() -> Any:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import tensorflow as tf  # lazy: only trials and the handler pay for it

    return tf


def synthetic_interactions(spec: WorkloadSpec, n: int, seed: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """N (user, item, liked) triples, the same for the same spec and seed."""
    rng = np.random.default_rng(spec.seed if seed is None else seed)
    taste_rng = np.random.default_rng(spec.seed + 7919)
    users_taste = taste_rng.normal(size=(spec.users, 4))
    items_taste = taste_rng.normal(size=(spec.items, 4))
    users = rng.integers(0, spec.users, size=n)
    items = rng.integers(0, spec.items, size=n)
    affinity = np.einsum("ij,ij->i", users_taste[users], items_taste[items])
    liked = (affinity + rng.normal(scale=0.5, size=n) > 0).astype("float32")
    return users.astype("int32"), items.astype("int32"), liked


def build_model(spec: WorkloadSpec) -> Any:
    """NCF: user and item embeddings, concatenated, through an MLP to a like-probability."""
    tf = _quiet_tensorflow()
    keras = tf.keras
    keras.utils.set_random_seed(spec.seed)
    user = keras.Input(shape=(), dtype="int32", name="user")
    item = keras.Input(shape=(), dtype="int32", name="item")
    u = keras.layers.Embedding(spec.users, spec.embedding_dim, name="user_embedding")(user)
    i = keras.layers.Embedding(spec.items, spec.embedding_dim, name="item_embedding")(item)
    x = keras.layers.Concatenate()([u, i, keras.layers.Multiply()([u, i])])
    for width in spec.hidden:
        x = keras.layers.Dense(width, activation="relu")(x)
    out = keras.layers.Dense(1, activation="sigmoid", name="score")(x)
    model = keras.Model(inputs={"user": user, "item": item}, outputs=out, name="ncf")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    return model


def export(spec: WorkloadSpec, directory: Path, train_steps: int = 20) -> Path:
    """Build, briefly train and save the model as a .keras file; reuse the file if it is already there."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{spec.id}-{spec.users}x{spec.items}x{spec.embedding_dim}-s{spec.seed}.keras"
    if path.exists():
        return path
    model = build_model(spec)
    users, items, liked = synthetic_interactions(spec, train_steps * spec.batch_size)
    model.fit({"user": users, "item": items}, liked, batch_size=spec.batch_size, epochs=1, verbose=0)
    tmp = path.with_name(f".{path.stem}-{os.getpid()}-{time.monotonic_ns()}.keras")  # one per writer: no race
    model.save(tmp)
    tmp.replace(path)  # atomic: a half-written model file is never picked up
    return path


def load(path: Path) -> Any:
    tf = _quiet_tensorflow()
    return tf.keras.models.load_model(path, compile=False)


def request_for(spec: WorkloadSpec, n: int, seed: int = 0) -> dict[str, list[int]]:
    """A request: one user and N candidate items to score."""
    rng = np.random.default_rng(seed)
    user = int(rng.integers(0, spec.users))
    return {"user_ids": [user] * n, "item_ids": rng.integers(0, spec.items, size=n).tolist()}


def train_steps(spec: WorkloadSpec, steps: int, threads: int | None = None) -> dict[str, Any]:
    """Run STEPS training steps of SPEC; report each step's wall time. The first step (tracing) is reported apart."""
    tf = _quiet_tensorflow()
    if threads:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:  # TensorFlow already started in this process: threads are fixed; trials use fresh ones
            threads = None
    model = build_model(spec)
    users, items, liked = synthetic_interactions(spec, (steps + 1) * spec.batch_size)
    times: list[float] = []
    for k in range(steps + 1):
        lo, hi = k * spec.batch_size, (k + 1) * spec.batch_size
        start = time.perf_counter()
        model.train_on_batch({"user": users[lo:hi], "item": items[lo:hi]}, liked[lo:hi])
        times.append((time.perf_counter() - start) * 1000.0)
    return {"first_step_ms": times[0], "step_ms": times[1:], "batch_size": spec.batch_size, "threads": threads}
