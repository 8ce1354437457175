"""A user's TensorFlow model: a Keras 3 `.keras` file or a SavedModel directory, answering request bodies in
TensorFlow Serving's REST format (the body a client sends to a SageMaker TensorFlow endpoint, and the Lambda payload).

Row format: {"instances": [instance, ...]}, each instance a value (one input) or an object of named inputs; the
answer is {"predictions": [...]}. Columnar format: {"inputs": value or {name: batched value}}; the answer is
{"outputs": ...}. TensorFlow is imported here only, inside the worker that runs the model.

`python -m advisor.workloads.user_model MODEL SAMPLE.json` loads MODEL, answers SAMPLE once and prints what the
advisor records of it (one JSON line), or {"error": ...}: the service runs it in a process of its own. With
`--train MODEL DATA.npz LOSS BATCH` it takes one training step instead (advisor.workloads.training_tasks).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any


class BadRequestBody(ValueError):
    """The body is not a TensorFlow Serving request this model accepts."""


def is_serving_body(payload: Any) -> bool:
    return isinstance(payload, dict) and ("instances" in payload or "inputs" in payload)


def model_format(path: Path) -> str:
    """'keras' for a .keras file, 'savedmodel' for a directory holding saved_model.pb; else a ValueError."""
    if path.is_file() and path.suffix == ".keras":
        return "keras"
    if path.is_dir() and (path / "saved_model.pb").is_file():
        return "savedmodel"
    raise ValueError(f"{path.name} is neither a .keras file nor a SavedModel directory (with saved_model.pb)")


class LoadedModel:
    """A model and the names and dtypes of its inputs, callable on a batch of named arrays."""

    def __init__(self, path: Path) -> None:
        from advisor.workloads.ncf import _quiet_tensorflow

        tf = _quiet_tensorflow()
        self.format = model_format(path)
        if self.format == "keras":
            # safe_mode refuses to deserialise arbitrary Python code (Lambda layers) from the file.
            self._keras = tf.keras.models.load_model(path, compile=False, safe_mode=True)
            self.inputs = {t.name: (str(t.dtype), _shape(t.shape)) for t in self._keras.inputs}
            self.parameters = int(self._keras.count_params())
        else:
            self._saved = tf.saved_model.load(str(path))
            if "serving_default" not in getattr(self._saved, "signatures", {}):
                raise ValueError("the SavedModel has no serving_default signature, which TF Serving calls")
            self._signature = self._saved.signatures["serving_default"]
            specs = self._signature.structured_input_signature[1]
            self.inputs = {name: (spec.dtype.name, _shape(spec.shape)) for name, spec in specs.items()}
            self.parameters = int(sum(int(v.shape.num_elements() or 0) for v in getattr(self._saved, "variables", ())))

    def __call__(self, batch: dict[str, Any]) -> Any:
        import numpy as np

        if self.format == "keras":
            arg = next(iter(batch.values())) if len(batch) == 1 else batch
            out = self._keras(arg, training=False)
        else:
            out = self._signature(**batch)
        if isinstance(out, dict):
            return {k: np.asarray(v) for k, v in out.items()}
        if isinstance(out, (list, tuple)):
            return [np.asarray(v) for v in out]
        return np.asarray(out)


def _shape(shape: Any) -> list[int | None]:
    return [None if d is None else int(d) for d in (shape or ())]


def load(path: Path | str) -> LoadedModel:
    """The model at PATH; a ValueError saying why when it cannot be loaded (Keras and TensorFlow raise many kinds)."""
    try:
        return LoadedModel(Path(path))
    except Exception as exc:
        raise ValueError(_first_line(exc)) from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:600]


def _only_input(names: list[str], values: Any, what: str) -> dict[str, Any]:
    """VALUES as the model's one input; a model of several inputs needs them named."""
    if len(names) != 1:
        raise BadRequestBody(f"the model has {len(names)} inputs ({', '.join(names)}): give {what} as an object of "
                             "named inputs")
    return {names[0]: values}


def _batch(model: LoadedModel, body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The named input arrays of BODY, cast to the model's dtypes; and which format it used (rows or columns)."""
    import numpy as np

    names = list(model.inputs)
    if "instances" in body:
        rows = body["instances"]
        if not isinstance(rows, list) or not rows:
            raise BadRequestBody('"instances" must be a non-empty list')
        named = all(isinstance(r, dict) for r in rows)
        columns = ({name: [r.get(name) for r in rows] for name in rows[0]} if named else
                   _only_input(names, rows, "each instance"))
        layout = "rows"
    else:
        given = body["inputs"]
        columns = dict(given) if isinstance(given, dict) else _only_input(names, given, '"inputs"')
        layout = "columns"
    if set(columns) != set(names):
        raise BadRequestBody(f"the model's inputs are {sorted(names)}, the body gives {sorted(columns)}")
    batch = {}
    for name, values in columns.items():
        dtype, shape = model.inputs[name]
        try:
            array = np.asarray(values, dtype=dtype)
        except (TypeError, ValueError) as exc:
            raise BadRequestBody(f"input {name!r} is not an array of {dtype}: {exc}") from exc
        if len(shape) != array.ndim or any(d is not None and d != a for d, a in zip(shape, array.shape)):
            raise BadRequestBody(f"input {name!r} has shape {list(array.shape)}; the model takes {shape} "
                                 "(None: any size)")
        batch[name] = array
    return batch, layout


def answer(model: LoadedModel, body: Any) -> dict[str, Any]:
    """The TF Serving answer to BODY."""
    if isinstance(body, (str, bytes)):
        try:
            body = json.loads(body)
        except json.JSONDecodeError as exc:
            raise BadRequestBody(f"body is not JSON: {exc}") from exc
    if not is_serving_body(body):
        raise BadRequestBody('a TensorFlow Serving body has "instances" (rows) or "inputs" (columns)')
    batch, layout = _batch(model, body)
    out = model(batch)
    if layout == "columns":
        return {"outputs": _listed(out)}
    if isinstance(out, dict):
        n = len(next(iter(out.values())))
        return {"predictions": [{k: v[i].tolist() for k, v in out.items()} for i in range(n)]}
    if isinstance(out, list):
        return {"predictions": [[v[i].tolist() for v in out] for i in range(len(out[0]))]}
    return {"predictions": out.tolist()}


def _listed(out: Any) -> Any:
    if isinstance(out, dict):
        return {k: v.tolist() for k, v in out.items()}
    if isinstance(out, list):
        return [v.tolist() for v in out]
    return out.tolist()


def output_shape(result: dict[str, Any]) -> Any:
    """Shapes of an answer's arrays, for the record (a batch of the sample's size)."""
    import numpy as np

    value = result.get("predictions", result.get("outputs"))
    if isinstance(value, dict):
        return {k: list(np.shape(v)) for k, v in value.items()}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return {k: [len(value)] + list(np.shape(value[0][k])) for k in value[0]}
    return list(np.shape(value))


def inspect(model_path: Path, sample: dict[str, Any]) -> dict[str, Any]:
    """Load MODEL_PATH, answer SAMPLE once: what the advisor records of the model, or {"error", "field"}."""
    started = time.perf_counter()
    try:
        model = load(model_path)
    except ValueError as exc:
        return {"error": f"not a model the advisor can load: {exc}", "field": "model"}
    loaded = time.perf_counter()
    try:
        result = answer(model, sample)
    except BadRequestBody as exc:
        return {"error": f"the sample does not run through the model: {exc}", "field": "sample"}
    except Exception as exc:  # TensorFlow raises many kinds when a sample does not fit the graph
        return {"error": f"the sample does not run through the model: {type(exc).__name__}: {_first_line(exc)}",
                "field": "sample"}
    return {"format": model.format, "parameters": model.parameters,
            "signature": {name: {"dtype": d, "shape": s} for name, (d, s) in model.inputs.items()},
            "output_shape": output_shape(result), "load_ms": round((loaded - started) * 1000.0, 1),
            "first_answer_ms": round((time.perf_counter() - loaded) * 1000.0, 1)}


def main() -> None:
    if sys.argv[1] == "--train":
        from advisor.workloads.training_tasks import check_training

        model, data, loss, batch = sys.argv[2:6]
        facts = check_training(model, data, loss or None, int(batch))
    else:
        facts = inspect(Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text()))
    sys.stdout.write(json.dumps(facts) + "\n")


if __name__ == "__main__":
    main()
