"""Adding a user's own model as a workload: to serve (with one sample request) or to train (with a data file).

The model (and the data) are kept as a content-addressed copy under DATA_DIR/models/user/<digest>/, checked by
loading the model and answering the sample (or taking one training step on the data) in a process of its own, so
this process never imports TensorFlow. A copy is made beside its final place and renamed into it: a half-copied
model is never used. The workload's version is the content of everything it runs with: adding the same again
changes nothing; a changed model, sample or data is a new version, and the old version's profiles move to NAME@vK,
where they stay as history for other workloads.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from advisor.core import settings
from advisor.core.errors import BadInput, Conflict, TrialFailed
from advisor.service.common import _number, store
from advisor.workloads import BUILTIN

USER_MODELS = Path("models") / "user"  # under DATA_DIR
CHECK_TIMEOUT_S = 600
LAMBDA_PACKAGES = ("zip", "image")
DEFAULT_TRAINING_BATCH = 32  # Keras's own default


def check_name(workload_id: Any, field: str = "id") -> str:
    text = str(workload_id or "").strip()
    if not text or len(text) > 128 or not all(c.isalnum() or c in "-_." for c in text):
        raise BadInput("a workload's name is letters, digits, '-', '_' or '.' (at most 128)",
                       hint="e.g. my-model", fields={field: "invalid"})
    return text


# -- files ------------------------------------------------------------------------------------------------------
def _files(path: Path) -> list[Path]:
    return [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())


def _digest(path: Path) -> str:
    """SHA-256 of a file's bytes, or of a directory's files' relative paths and bytes, in order."""
    h = hashlib.sha256()
    for f in _files(path):
        if path.is_dir():
            h.update(str(f.relative_to(path)).encode() + b"\0")
        with f.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _model_name(path: Path, kind: str) -> str:
    """The stored name of the model at PATH (model.keras or saved_model), or BadInput saying what it is not."""
    if not path.exists():
        raise BadInput(f"no model at {path.name}", hint="give a .keras file or a SavedModel directory",
                       fields={"model": "not found"})
    if path.is_file() and path.suffix == ".keras":
        return "model.keras"
    if path.is_dir() and (path / "saved_model.pb").is_file():
        if kind == "training":
            raise BadInput("a SavedModel cannot be trained here: training needs the Keras model",
                           hint="save it with model.save('model.keras') and add that", fields={"model": "not trainable"})
        return "saved_model"
    raise BadInput(f"{path.name} is neither a Keras 3 .keras file nor a SavedModel directory",
                   hint="save the model with model.save('model.keras') or tf.saved_model.save(model, 'dir')",
                   fields={"model": "not a model"})


def read_sample(path: str | Path) -> bytes:
    """A sample request file's bytes, or a BadInput that says why it cannot be read."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise BadInput(f"no such file: {path}", hint='give a JSON file with one request, e.g. {"instances": [...]}',
                       fields={"sample": "not found"}) from None
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}", hint="give a readable JSON file",
                       fields={"sample": "unreadable"}) from None


def read_payload(path: str | Path) -> Any:
    """A JSON event from a file (a function's payload), or a BadInput saying why it cannot be used."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise BadInput(f"no such file: {path}", hint="give a JSON file with the event to invoke the function with",
                       fields={"payload": "not found"}) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"cannot use {path} as a payload: {exc}", hint="give a JSON file",
                       fields={"payload": "not JSON"}) from None


def parse_sample(text: str | bytes, batch_size: int | None = None) -> dict[str, Any]:
    """A TF Serving request body; with BATCH_SIZE, its rows repeated or cut to that many per request."""
    try:
        body = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"the sample is not JSON: {exc}", hint='e.g. {"instances": [[1.0, 2.0, 3.0]]}',
                       fields={"sample": "not JSON"}) from None
    if not isinstance(body, dict) or not ({"instances", "inputs"} & set(body)):
        raise BadInput('the sample is not a TensorFlow Serving request: it needs "instances" (rows) or "inputs" '
                       "(columns)", hint='e.g. {"instances": [[1.0, 2.0, 3.0]]}', fields={"sample": "not a request"})
    if batch_size is None:
        return body
    if not isinstance(body.get("instances"), list) or not body["instances"]:
        raise BadInput("--batch-size repeats the rows of an \"instances\" sample; this sample has none",
                       hint="give the sample in the row format, or leave out the batch size",
                       fields={"batch_size": "needs instances"})
    rows = body["instances"]
    return {**body, "instances": [rows[k % len(rows)] for k in range(batch_size)]}


def _rows_of(sample: dict[str, Any]) -> int | None:
    if isinstance(sample.get("instances"), list):
        return len(sample["instances"])
    inputs = sample.get("inputs")
    first = next(iter(inputs.values()), None) if isinstance(inputs, dict) else inputs
    return len(first) if isinstance(first, list) else None


# -- the check, in a worker process ------------------------------------------------------------------------------
def _check(args: list[str]) -> dict[str, Any]:
    """Run advisor.workloads.user_model with ARGS; what it found, or BadInput naming the field at fault."""
    try:
        done = subprocess.run([sys.executable, "-m", "advisor.workloads.user_model", *args], capture_output=True,
                              text=True, timeout=CHECK_TIMEOUT_S, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    except subprocess.TimeoutExpired:
        raise BadInput(f"checking the model took over {CHECK_TIMEOUT_S} s", hint="check the model loads with "
                       "keras.models.load_model", fields={"model": "too slow"}) from None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        missing = "No module named 'tensorflow'" in done.stderr
        raise TrialFailed("the model check could not run", hint="install the tf extra: pip install -e '.[tf]'"
                          if missing else done.stderr.strip()[-600:])
    facts = json.loads(lines[-1])
    if "error" in facts:
        hints = {"sample": "the sample must be one request the model answers, in TF Serving's REST format",
                 "data": "an .npz with the target as 'y' and the inputs as 'x' or under the model's input names",
                 "loss": "a Keras loss name, e.g. mse, binary_crossentropy, sparse_categorical_crossentropy"}
        raise BadInput(facts["error"], hint=hints.get(facts["field"], "give a .keras file saved by Keras 3, or a "
                       "SavedModel directory with a serving_default signature"), fields={facts["field"]: "refused"})
    return facts


def _stored_copy(sources: dict[str, Path], digests: dict[str, str], check: Any) -> tuple[Path, dict[str, Any]]:
    """The directory holding SOURCES (stored name -> path, with their DIGESTS) in the data directory, made and
    checked now or already there, and what CHECK(directory) found."""
    key = hashlib.sha256("".join(f"{n}:{digests[n]}" for n in sorted(sources)).encode()).hexdigest()
    home = Path(settings.get("DATA_DIR")) / USER_MODELS / key[:24]
    if home.exists():
        return home, check(home)
    staging = home.with_name(f".{home.name}-{uuid.uuid4().hex[:8]}")
    staging.mkdir(parents=True)
    try:
        for name, source in sources.items():
            (shutil.copytree if source.is_dir() else shutil.copy2)(source, staging / name)
        facts = check(staging)
        try:
            staging.rename(home)
        except OSError:  # another add of the same files won the race: its copy is the same bytes
            if not home.exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return home, facts


def drop_unused_copy(params: dict[str, Any]) -> None:
    """Delete a workload's stored copy once no workload runs from it."""
    copy = Path(params["model"]["file"]).parent
    if not any(Path((w["params"].get("model") or {}).get("file", "/")).parent == copy for w in store().list_workloads()):
        shutil.rmtree(Path(settings.get("DATA_DIR")) / copy, ignore_errors=True)


# -- adding ------------------------------------------------------------------------------------------------------
def add_model(name: str, model_path: str | Path, sample_text: str | bytes | None = None, *, kind: str = "inference",
              description: str = "", batch_size: Any = None, lambda_package: str = "zip",
              data_path: str | Path | None = None, loss: str | None = None) -> dict[str, Any]:
    """Add (or re-add) a user's model as a workload; {"workload", "status": added|unchanged|updated|new version,
    "version", "model", ...}. Everything is checked before anything is stored."""
    name = check_name(name, "name")
    if kind not in ("inference", "training"):
        raise BadInput(f"kind must be inference or training, got {kind!r}", hint="inference or training",
                       fields={"kind": "invalid"})
    if lambda_package not in LAMBDA_PACKAGES:
        raise BadInput(f"lambda_package must be zip or image, got {lambda_package!r}", hint="zip or image",
                       fields={"lambda_package": "invalid"})
    batch = _number({"batch_size": batch_size}, "batch_size", None, int, 1)
    source = Path(model_path)
    model_name = _model_name(source, kind)
    if kind == "inference":
        if sample_text is None:
            raise BadInput("a model to serve needs one sample request", hint="give --sample FILE",
                           fields={"sample": "required"})
        sample = parse_sample(sample_text, batch)
        sources = {model_name: source}
    else:
        batch = batch or DEFAULT_TRAINING_BATCH
        sources = {model_name: source, "data.npz": _data_file(data_path)}
    existing = store().get_workload(name)
    if name in BUILTIN or (existing is not None and not existing["params"].get("model")):
        raise Conflict(f"the name {name!r} is taken by a {'built-in' if name in BUILTIN else 'measured'} workload",
                       hint="choose another name (see `advisor workloads`)", fields={"name": "taken"})
    if existing is not None and existing["kind"] != kind:
        raise Conflict(f"{name!r} is a {existing['kind']} workload", hint="choose another name for the "
                       f"{kind} workload", fields={"name": "taken"})
    digests = {n: _digest(p) for n, p in sources.items()}
    identity = json.dumps(sample, sort_keys=True) if kind == "inference" else json.dumps([digests["data.npz"], loss,
                                                                                           batch])
    version_key = hashlib.sha256((digests[model_name] + identity).encode()).hexdigest()[:16]
    if existing is not None and existing["params"].get("version_key") == version_key:
        return _same_version(existing, description, lambda_package)
    if kind == "inference":
        home, facts = _stored_copy(sources, digests, lambda d: _check_serving(d / model_name, sample))
        params: dict[str, Any] = {"sample": sample, "request_bytes": len(json.dumps(sample).encode()),
                                  "batch_size": _rows_of(sample)}
    else:
        home, facts = _stored_copy(sources, digests, lambda d: _check(
            ["--train", str(d / model_name), str(d / "data.npz"), loss or "", str(batch)]))
        params = {"data": {"file": str((home / "data.npz").relative_to(settings.get("DATA_DIR"))),
                           "size_bytes": (home / "data.npz").stat().st_size},
                  "loss": facts["loss"], "batch_size": batch, "samples": facts["samples"]}
    stored = home / model_name
    model = {"digest": digests[model_name], "file": str(stored.relative_to(settings.get("DATA_DIR"))),
             "size_bytes": sum(f.stat().st_size for f in _files(stored)), **facts}
    version = int(existing["params"].get("version", 0)) + 1 if existing else 1
    params.update({"model": model, "lambda_package": lambda_package, "version": version, "version_key": version_key,
                   "added_at": time.time()})
    archive = _archive(name, existing, version)
    store().replace_workload(name, kind, description or (existing or {}).get("description") or
                             f"User model {source.name} ({facts['parameters']:,} parameters)"
                             + (", trained on " + Path(str(data_path)).name if kind == "training" else ""),
                             params, archive)
    if existing:
        drop_unused_copy(existing["params"])
    return {"workload": name, "status": "new version" if existing else "added", "version": version,
            "model": model, "archived_profiles_as": archive[0] if archive else None}


def _data_file(data_path: str | Path | None) -> Path:
    if data_path is None:
        raise BadInput("a model to train needs its data", hint="give --data FILE.npz (the target as 'y', the inputs "
                       "as 'x' or under the model's input names)", fields={"data": "required"})
    data = Path(data_path)
    if not data.is_file() or data.suffix != ".npz":
        raise BadInput(f"{data.name} is not an .npz file", hint="save the arrays with numpy.savez(path, x=..., y=...)",
                       fields={"data": "not found" if not data.exists() else "not an npz file"})
    return data


def _check_serving(model: Path, sample: dict[str, Any]) -> dict[str, Any]:
    """Load MODEL and answer SAMPLE once, in a worker process."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json") as handle:
        json.dump(sample, handle)
        handle.flush()
        return _check([str(model), handle.name])


def _same_version(existing: dict[str, Any], description: str, lambda_package: str) -> dict[str, Any]:
    """Re-adding what is there: nothing, or only how it ships and how it is described (its profiles still hold)."""
    params, status = existing["params"], "unchanged"
    if params.get("lambda_package") != lambda_package or (description and description != existing["description"]):
        params = {**params, "lambda_package": lambda_package}
        store().replace_workload(existing["id"], existing["kind"], description or existing["description"], params)
        status = "updated"
    return {"workload": existing["id"], "status": status, "version": params["version"], "model": params["model"]}


def _archive(name: str, existing: dict[str, Any] | None, version: int) -> tuple[str, str, dict[str, Any]] | None:
    """Where the replaced version's profiles go: NAME@v(K-1), a workload of measurements only."""
    if not existing or not store().profile_rows(name):
        return None
    old = existing["params"]
    return (f"{name}@v{version - 1}", f"{name} version {version - 1}, superseded by version {version}: its profiles, "
            "kept as history", {"superseded_by": name, "version": version - 1, "was_model": old["model"],
                                "request_bytes": old.get("request_bytes", 0)})


# -- uploads -----------------------------------------------------------------------------------------------------
def add_model_upload(name: str, filename: str, save: Any, sample_text: str | bytes, **options: Any) -> dict[str, Any]:
    """ADD_MODEL for a model sent over HTTP: FILENAME a .keras file, or a .zip/.tar.gz of a SavedModel directory;
    SAVE(path) writes the upload there. The upload is unpacked in a private directory that is always removed."""
    lower = filename.lower()
    if not lower.endswith((".keras", ".zip", ".tar.gz", ".tgz")):
        raise BadInput(f"{filename or 'the upload'} is not a .keras file or an archive of a SavedModel directory",
                       hint="upload model.keras, or a .zip or .tar.gz of the SavedModel directory",
                       fields={"model": "not a model"})
    work = Path(settings.get("DATA_DIR")) / "uploads" / uuid.uuid4().hex
    work.mkdir(parents=True)
    try:
        received = work / ("model.keras" if lower.endswith(".keras") else "upload" + lower[lower.index("."):])
        save(received)
        model = received if lower.endswith(".keras") else _unpacked_saved_model(received, work / "unpacked")
        return add_model(name, model, sample_text, **options)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _unpacked_saved_model(archive: Path, into: Path) -> Path:
    """The SavedModel directory inside ARCHIVE (at its top or one level down); members outside INTO are refused."""
    import tarfile
    import zipfile

    try:
        if archive.suffix == ".zip":
            with zipfile.ZipFile(archive) as z:
                for member in z.namelist():
                    if not (into / member).resolve().is_relative_to(into.resolve()):
                        raise BadInput(f"the archive's member {member!r} points outside it", hint="archive the "
                                       "SavedModel directory with relative paths", fields={"model": "unsafe archive"})
                z.extractall(into)
        else:
            with tarfile.open(archive) as t:
                t.extractall(into, filter="data")  # refuses absolute paths, links out and devices
    except (zipfile.BadZipFile, tarfile.TarError, OSError) as exc:
        raise BadInput(f"the upload is not a readable archive: {exc}", hint="upload a .zip or .tar.gz of the "
                       "SavedModel directory", fields={"model": "not an archive"}) from None
    for candidate in [into, *sorted(p for p in into.iterdir() if p.is_dir())]:
        if (candidate / "saved_model.pb").is_file():
            return candidate
    raise BadInput("the archive holds no saved_model.pb", hint="archive the SavedModel directory itself",
                   fields={"model": "not a model"})
