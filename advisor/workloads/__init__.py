"""The reference workloads. TensorFlow is imported only inside the modules that run a model, and only lazily."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from advisor.core.errors import NotFound


@dataclass(frozen=True)
class WorkloadSpec:
    """A runnable workload: the NCF recommender at a given size, serving a given request."""

    id: str
    kind: str  # inference | training
    description: str
    users: int = 2000
    items: int = 5000
    embedding_dim: int = 32
    hidden: tuple[int, ...] = (128, 64)
    candidates_per_request: int = 256  # items scored per request (one user)
    batch_size: int = 256  # training batch
    seed: int = 0
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["hidden"] = list(self.hidden)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "WorkloadSpec":
        data = dict(data)
        data["hidden"] = tuple(data.get("hidden", (128, 64)))
        return cls(**data)


BUILTIN: dict[str, WorkloadSpec] = {spec.id: spec for spec in [
    WorkloadSpec("ncf-recommender", "inference",
                 "Neural collaborative filtering recommender (Keras 3): scores 256 candidate items for one user."),
    WorkloadSpec("ncf-recommender-tiny", "inference", "A tiny NCF recommender for tests: 64 candidates per request.",
                 users=100, items=200, embedding_dim=8, hidden=(16,), candidates_per_request=64),
    WorkloadSpec("ncf-recommender-large", "inference",
                 "A large NCF recommender for benchmarks: 200k users, 100k items, 64-wide embeddings.",
                 users=200_000, items=100_000, embedding_dim=64, hidden=(256, 128, 64), candidates_per_request=1000),
    WorkloadSpec("ncf-recommender-train", "training", "Training the NCF recommender on synthetic interactions.",
                 batch_size=512, params={"samples": 1_000_000}),
    WorkloadSpec("ncf-movielens-train", "training",
                 "Training the NCF recommender on MovieLens 100K (a rating of 4 or 5 is a like; a tenth held out).",
                 users=944, items=1683, batch_size=256, params={"dataset": "movielens-100k", "samples": 90_000}),
]}


def builtin(workload_id: str) -> WorkloadSpec:
    try:
        return BUILTIN[workload_id]
    except KeyError:
        raise NotFound(f"no runnable workload {workload_id!r}",
                       hint="built-in workloads: " + ", ".join(BUILTIN) + "; other workloads can be recommended "
                       "from imported measurements (`advisor profiles import`)",
                       fields={"workload": "unknown"}) from None
