"""A user's model as a test makes one: a few-kilobyte Keras model (4 features in, 3 scores out), saved as a .keras
file and as a SavedModel directory, built in a process of its own so the test process never imports TensorFlow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PARAMETERS = 4 * 8 + 8 + 8 * 3 + 3  # Dense(8) on 4 features, then Dense(3)
SAMPLE = {"instances": [[0.1, 0.2, 0.3, 0.4], [1.0, 0.0, 0.5, 0.25]]}

_BUILD = """
import sys
from pathlib import Path
import keras
out = Path(sys.argv[1]); seed = int(sys.argv[2])
keras.utils.set_random_seed(seed)
inputs = keras.Input(shape=(4,), name="features")
model = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Dense(8, activation="relu")(inputs)))
model.save(out / "model.keras")
model.export(str(out / "saved_model"), verbose=False)
import numpy as np
rng = np.random.default_rng(seed)
x = rng.normal(size=(200, 4)).astype("float32")
np.savez(out / "data.npz", x=x, y=(x @ rng.normal(size=(4, 3))).astype("float32"))
"""


def has_tensorflow() -> bool:
    import importlib.util

    return importlib.util.find_spec("tensorflow") is not None


needs_tf = pytest.mark.skipif(not has_tensorflow(), reason="TensorFlow is not installed (pip install -e '.[tf]')")


def build(directory: Path, seed: int = 0) -> Path:
    """DIRECTORY with model.keras, saved_model/, sample.json and data.npz (200 rows of a linear target to train
    on); a different SEED gives different weights and data."""
    directory.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-c", _BUILD, str(directory), str(seed)], check=True, capture_output=True,
                   env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    (directory / "sample.json").write_text(json.dumps(SAMPLE))
    return directory


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    """The tiny model, built once per test session."""
    return build(tmp_path_factory.mktemp("tiny-model"))


@pytest.fixture(scope="session")
def tiny_model_retrained(tmp_path_factory) -> Path:
    """The same architecture with other weights: a new version of the model."""
    return build(tmp_path_factory.mktemp("tiny-model-2"), seed=1)
