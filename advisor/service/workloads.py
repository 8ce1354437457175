"""Workloads: the built-in reference models, those known only by their measurements, and users' own models
(added, shown, removed), with the runnable spec and the platform footprint of each.

A user's model is kept as a content-addressed copy under DATA_DIR/models/user/<digest>/, checked by loading it and
answering its sample in a process of its own (so this process never imports TensorFlow). Its version is its
digest with the request it is profiled with: adding the same twice changes nothing; a changed model or sample is
a new version, and the old version's profiles move to NAME@vK, where they stay as history for other workloads.
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
from advisor.core.errors import BadInput, Conflict, NotFound, TrialFailed
from advisor.core.platforms import Footprint
from advisor.service.common import _number, store
from advisor.workloads import BUILTIN, WorkloadSpec, builtin

USER_MODELS = Path("models") / "user"  # under DATA_DIR
INSPECT_TIMEOUT_S = 600
LAMBDA_PACKAGES = ("zip", "image")


# -- listing ------------------------------------------------------------------------------------------------------
def list_workloads() -> list[dict[str, Any]]:
    return store().list_workloads()


def _check_id(workload_id: Any, field: str = "id") -> str:
    text = str(workload_id or "").strip()
    if not text or len(text) > 128 or not all(c.isalnum() or c in "-_." for c in text):
        raise BadInput("a workload's name is letters, digits, '-', '_' or '.' (at most 128)",
                       hint="e.g. my-model", fields={field: "invalid"})
    return text


def create_workload(body: dict[str, Any]) -> dict[str, Any]:
    """Register a workload known only by its measurements (imported or replayed)."""
    workload_id = _check_id(body.get("id"))
    kind = body.get("kind", "inference")
    if kind not in ("inference", "training"):
        raise BadInput(f"kind must be inference or training, got {kind!r}", hint="inference or training",
                       fields={"kind": "invalid"})
    store().upsert_workload(workload_id, kind, str(body.get("description", "")))
    return store().get_workload(workload_id) or {}


def _known(workload_id: str) -> dict[str, Any]:
    workload = store().get_workload(workload_id)
    if workload is None:
        raise NotFound(f"unknown workload {workload_id!r}", hint="see `advisor workloads` for the known ones",
                       fields={"workload": "unknown"})
    return workload


def get_workload(workload_id: str) -> dict[str, Any]:
    workload = _known(workload_id)
    workload["profiles"] = store().profile_rows(workload_id)
    workload["source"] = _source(workload)
    return workload


def _source(workload: dict[str, Any]) -> str:
    if workload["id"] in BUILTIN:
        return "built-in"
    if workload["params"].get("model"):
        return "user model"
    if workload["params"].get("superseded_by"):
        return "superseded version"
    return "measurements"


# -- what runs, and what it brings to a platform's limits ---------------------------------------------------------
def runnable(workload_id: str) -> WorkloadSpec:
    """The spec the profilers run: a built-in workload or a user's model."""
    if workload_id in BUILTIN:
        return builtin(workload_id)
    workload = store().get_workload(workload_id)
    if workload is None or not workload["params"].get("model"):
        builtin(workload_id)  # raises NotFound naming what can run
    params = workload["params"]
    return WorkloadSpec(workload_id, workload["kind"], workload["description"],
                        batch_size=int(params.get("batch_size") or 1), params=params)


def footprint(workload_id: str) -> Footprint:
    """A user model's size, request size and Lambda packaging; zeros for the others (nothing known to refuse)."""
    workload = store().get_workload(workload_id)
    params = (workload or {}).get("params", {})
    if not params.get("model"):
        return Footprint()
    return Footprint(int(params["model"]["size_bytes"]), int(params.get("request_bytes", 0)),
                     params.get("lambda_package", "zip"))


# -- adding a model -----------------------------------------------------------------------------------------------
def _model_files(path: Path) -> list[Path]:
    return [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())


def _digest(path: Path) -> str:
    """SHA-256 of the model's bytes (a directory: its files' relative paths and bytes, in order)."""
    h = hashlib.sha256()
    for f in _model_files(path):
        if path.is_dir():
            h.update(str(f.relative_to(path)).encode() + b"\0")
        with f.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def _check_model_path(path: Path) -> str:
    if not path.exists():
        raise BadInput(f"no model at {path.name}", hint="give a .keras file or a SavedModel directory",
                       fields={"model": "not found"})
    if path.is_file() and path.suffix == ".keras":
        return "model.keras"
    if path.is_dir() and (path / "saved_model.pb").is_file():
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


def _batch_of(sample: dict[str, Any]) -> int | None:
    if isinstance(sample.get("instances"), list):
        return len(sample["instances"])
    inputs = sample.get("inputs")
    first = next(iter(inputs.values()), None) if isinstance(inputs, dict) else inputs
    return len(first) if isinstance(first, list) else None


def _inspect(model: Path, sample: dict[str, Any]) -> dict[str, Any]:
    """Load MODEL and answer SAMPLE in a worker process; what it found, or BadInput naming the field at fault."""
    sample_file = model.parent / f".sample-{uuid.uuid4().hex[:8]}.json"
    sample_file.write_text(json.dumps(sample))
    try:
        done = subprocess.run([sys.executable, "-m", "advisor.workloads.user_model", str(model), str(sample_file)],
                              capture_output=True, text=True, timeout=INSPECT_TIMEOUT_S,
                              env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    except subprocess.TimeoutExpired:
        raise BadInput(f"loading the model and answering the sample took over {INSPECT_TIMEOUT_S} s",
                       hint="check the model loads with keras.models.load_model", fields={"model": "too slow"}) from None
    finally:
        sample_file.unlink(missing_ok=True)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        missing = "No module named 'tensorflow'" in done.stderr
        raise TrialFailed("the model check could not run", hint="install the tf extra: pip install -e '.[tf]'"
                          if missing else done.stderr.strip()[-600:])
    facts = json.loads(lines[-1])
    if "error" in facts:
        raise BadInput(facts["error"], hint="the sample must be one request the model answers, in TF Serving's "
                       "REST format" if facts["field"] == "sample" else "give a .keras file saved by Keras 3, or a "
                       "SavedModel directory with a serving_default signature", fields={facts["field"]: "refused"})
    return facts


def _stored_copy(source: Path, digest: str, name: str, sample: dict[str, Any]) -> tuple[Path, dict[str, Any]]:
    """The model's copy in the data directory (made and checked now, or already there) and what the check found.
    A copy is made beside its final place and renamed into it: a half-copied model is never used."""
    home = Path(settings.get("DATA_DIR")) / USER_MODELS / digest[:24]
    final = home / name
    if final.exists():
        return final, _inspect(final, sample)
    staging = home.with_name(f".{home.name}-{uuid.uuid4().hex[:8]}")
    staging.mkdir(parents=True)
    try:
        copy = staging / name
        if source.is_dir():
            shutil.copytree(source, copy)
        else:
            shutil.copy2(source, copy)
        facts = _inspect(copy, sample)
        try:
            staging.rename(home)
        except OSError:  # another add of the same model won the race: its copy is the same bytes
            if not final.exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final, facts


def add_model(name: str, model_path: str | Path, sample_text: str | bytes, *, kind: str = "inference",
              description: str = "", batch_size: Any = None, lambda_package: str = "zip") -> dict[str, Any]:
    """Add (or re-add) a user's model as a workload; {"workload", "status": added|unchanged|new version, ...}."""
    name = _check_id(name, "name")
    if kind != "inference":
        raise BadInput(f"kind {kind!r} is not supported for a model yet", hint="add it as --kind inference",
                       fields={"kind": "unsupported"})
    if lambda_package not in LAMBDA_PACKAGES:
        raise BadInput(f"lambda_package must be zip or image, got {lambda_package!r}", hint="zip or image",
                       fields={"lambda_package": "invalid"})
    batch = _number({"batch_size": batch_size}, "batch_size", None, int, 1)
    sample = parse_sample(sample_text, batch)
    source = Path(model_path)
    file_name = _check_model_path(source)
    existing = store().get_workload(name)
    if name in BUILTIN or (existing is not None and not existing["params"].get("model")):
        raise Conflict(f"the name {name!r} is taken by a {'built-in' if name in BUILTIN else 'measured'} workload",
                       hint="choose another name (see `advisor workloads`)", fields={"name": "taken"})
    digest = _digest(source)
    version_key = hashlib.sha256((digest + json.dumps(sample, sort_keys=True)).encode()).hexdigest()[:16]
    if existing is not None and existing["params"].get("version_key") == version_key:
        params = existing["params"]
        status = "unchanged"
        if params.get("lambda_package") != lambda_package or (description and description != existing["description"]):
            # the same model and request: its profiles still hold; only how it ships (or is described) changed
            params = {**params, "lambda_package": lambda_package}
            store().replace_workload(name, kind, description or existing["description"], params)
            status = "updated"
        return {"workload": name, "status": status, "version": params["version"], "model": params["model"]}
    stored, facts = _stored_copy(source, digest, file_name, sample)
    size = sum(f.stat().st_size for f in _model_files(stored))
    data_dir = Path(settings.get("DATA_DIR"))
    model = {"digest": digest, "file": str(stored.relative_to(data_dir)), "size_bytes": size, **facts}
    version = int(existing["params"].get("version", 0)) + 1 if existing else 1
    params = {"model": model, "sample": sample, "request_bytes": len(json.dumps(sample).encode()),
              "batch_size": _batch_of(sample), "lambda_package": lambda_package, "version": version,
              "version_key": version_key, "added_at": time.time()}
    archive = None
    if existing and store().profile_rows(name):
        old = existing["params"]
        archive = (f"{name}@v{version - 1}", f"{name} version {version - 1}, superseded by version {version}: its "
                   "profiles, kept as history", {"superseded_by": name, "version": version - 1,
                                                  "was_model": old["model"], "request_bytes": old["request_bytes"]})
    store().replace_workload(name, kind, description or (existing or {}).get("description") or
                             f"User model {source.name} ({facts['parameters']:,} parameters)", params, archive)
    if existing:
        _drop_unused_copy(existing["params"]["model"])
    return {"workload": name, "status": "new version" if existing else "added", "version": version,
            "model": model, "archived_profiles_as": archive[0] if archive else None}


def _drop_unused_copy(model: dict[str, Any]) -> None:
    """Delete a model's stored copy once no workload runs it."""
    if not any((w["params"].get("model") or {}).get("digest") == model["digest"] for w in store().list_workloads()):
        shutil.rmtree(Path(settings.get("DATA_DIR")) / Path(model["file"]).parent, ignore_errors=True)


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


# -- removing -----------------------------------------------------------------------------------------------------
def remove_workload(workload_id: str) -> dict[str, Any]:
    """Delete a workload that is not built in, with its profiles and answers; its model copy too when no other
    workload uses it. Refused while a schedule or a deployment refers to it."""
    if workload_id in BUILTIN:
        raise Conflict(f"{workload_id!r} is built in and cannot be removed", hint="remove a workload you added",
                       fields={"workload": "built-in"})
    workload = _known(workload_id)
    refs = store().workload_references(workload_id)
    if any(refs.values()):
        raise Conflict(f"{workload_id!r} is still referred to by {refs['schedules']} schedule(s) and "
                       f"{refs['deployments']} deployment(s)", hint="remove its schedules first "
                       "(`advisor schedule list`); deployments keep their workload", fields={"workload": "in use"})
    profiles = len(store().profile_rows(workload_id))
    store().remove_workload(workload_id)
    if workload["params"].get("model"):
        _drop_unused_copy(workload["params"]["model"])
    return {"workload": workload_id, "removed": True, "profiles_removed": profiles}
