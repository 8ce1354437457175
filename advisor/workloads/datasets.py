"""Public data sets a reference training workload can train on, read from where a Python package installed them.

MovieLens 100K (GroupLens: 100,000 ratings, 1-5 stars, of 1,682 movies by 943 users) ships inside RecBole's wheel
as `ml-100k.inter`. The advisor reads that file in place and never imports RecBole (whose own dependencies it does
not install): `pip install --no-deps recbole==1.2.1` puts the file there. The data are not copied into the project.
A rating of 4 or 5 counts as "liked": the implicit-feedback target the NCF recommender predicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from advisor.core.errors import BadInput

LIKED_FROM_STARS = 4


@dataclass(frozen=True)
class DataSet:
    name: str
    package: str  # the distribution whose files hold it
    path: str  # inside that distribution
    users: int  # embedding rows the ids need (ids start at 1)
    items: int
    source: str


DATASETS = {d.name: d for d in [
    DataSet("movielens-100k", "recbole", "recbole/dataset_example/ml-100k/ml-100k.inter", users=944, items=1683,
            source="MovieLens 100K (F. M. Harper and J. A. Konstan, GroupLens, 1998), as shipped in RecBole 1.2.1"),
]}
INSTALL_HINT = "pip install --no-deps recbole==1.2.1 (only its data file is read; `make` installs it)"


def get(name: str) -> DataSet:
    try:
        return DATASETS[name]
    except KeyError:
        raise BadInput(f"unknown data set {name!r}", hint="known: " + ", ".join(DATASETS),
                       fields={"dataset": "unknown"}) from None


def available(name: str) -> bool:
    try:
        _file(get(name))
    except BadInput:
        return False
    return True


def _file(dataset: DataSet):
    from importlib import metadata

    try:
        path = metadata.distribution(dataset.package).locate_file(dataset.path)
    except metadata.PackageNotFoundError:
        path = None
    if path is None or not path.exists():
        raise BadInput(f"the {dataset.name} data set is not installed", hint=INSTALL_HINT,
                       fields={"dataset": "not installed"})
    return path


@lru_cache(maxsize=4)
def interactions(name: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(user, item, liked) of every rating of NAME, shuffled once by SEED: the same order for every worker and run."""
    dataset = get(name)
    rows = np.loadtxt(_file(dataset), skiprows=1, dtype=np.int64)  # user, item, stars, timestamp
    order = np.random.default_rng(seed).permutation(len(rows))
    rows = rows[order]
    liked = (rows[:, 2] >= LIKED_FROM_STARS).astype(np.float32)
    return rows[:, 0].astype(np.int32), rows[:, 1].astype(np.int32), liked
