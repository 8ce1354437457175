"""Workloads: the built-in reference models, those known only by their measurements, and users' own models
(added in user_models.py), with the spec the profilers run and the platform footprint of each; and removal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from advisor.core import settings
from advisor.core.errors import BadInput, Conflict, NotFound
from advisor.core.platforms import Footprint
from advisor.service.common import store
from advisor.service.user_models import check_name, drop_unused_copy
from advisor.workloads import BUILTIN, WorkloadSpec, builtin


# -- listing ------------------------------------------------------------------------------------------------------
def list_workloads() -> list[dict[str, Any]]:
    return store().list_workloads()


def create_workload(body: dict[str, Any]) -> dict[str, Any]:
    """Register a workload known only by its measurements (imported or replayed)."""
    workload_id = check_name(body.get("id"))
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
    params, data_dir = dict(workload["params"]), Path(settings.get("DATA_DIR"))
    params["model_path"] = str(data_dir / params["model"]["file"])  # where this machine's workers load it from
    if params.get("data"):
        params["data_path"] = str(data_dir / params["data"]["file"])
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
        drop_unused_copy(workload["params"])
    return {"workload": workload_id, "removed": True, "profiles_removed": profiles}
