"""MovieLens 100K as the reference recommender's training data: read from RecBole's wheel in place, split into
training and held-out rows that never meet, the same order for every worker and run."""

import numpy as np
import pytest

from advisor.core.errors import BadInput
from advisor.workloads import builtin, datasets
from advisor.workloads.training_tasks import DataSetTask, task_for, trained_rows

pytestmark = pytest.mark.skipif(not datasets.available("movielens-100k"), reason=datasets.INSTALL_HINT)


def test_the_ratings_load_as_likes_of_known_users_and_items():
    users, items, liked = datasets.interactions("movielens-100k")
    spec = builtin("ncf-movielens-train")
    assert len(liked) == 100_000 and users.max() < spec.users and items.max() < spec.items
    assert 0.5 < liked.mean() < 0.6  # 55% of the ratings are 4 or 5 stars
    assert spec.params["samples"] == trained_rows(len(liked))


def test_workers_batches_are_their_own_and_never_held_out_rows():
    spec = builtin("ncf-movielens-train")
    task = task_for(spec)
    assert isinstance(task, DataSetTask)
    users, items, _ = datasets.interactions("movielens-100k")
    pairs = {(int(u), int(i)): k for k, (u, i) in enumerate(zip(users, items))}  # MovieLens rates a pair once
    seen = []
    for step in range(3):
        for worker in range(2):
            batch, target = task.batch(worker, 2, step)
            rows = [pairs[(int(u), int(i))] for u, i in zip(batch["user"], batch["item"])]
            assert target.shape == (spec.batch_size, 1)
            seen += rows
    assert len(set(seen)) == len(seen) and max(seen) < spec.params["samples"]
    held, held_target = task.held_out()
    assert len(held_target) == 10_000
    assert min(pairs[(int(u), int(i))] for u, i in zip(held["user"], held["item"])) == spec.params["samples"]
    again, _ = task_for(spec).batch(1, 2, 2)  # a resumed run takes the same rows
    assert np.array_equal(again["user"], task.batch(1, 2, 2)[0]["user"])


def test_an_unknown_data_set_is_refused_with_the_known_ones():
    with pytest.raises(BadInput) as caught:
        datasets.get("movielens-1b")
    assert "movielens-100k" in caught.value.hint
