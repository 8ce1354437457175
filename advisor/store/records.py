"""What the store keeps besides workloads and profiles: fitted models, answers, deployment plans and jobs. A mixin of
`Store` (database.py), which gives it `_tx` and `_read`."""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

from sqlalchemy import delete, insert, select, update

from advisor.core.errors import NotFound
from advisor.store.tables import RECOMMENDATION_EXISTS, deployments, jobs, models, recommendations


def _this_process() -> str:
    import socket

    return f"{socket.gethostname()}:{os.getpid()}"


def runner_gone(runner: str | None) -> bool:
    """Whether RUNNER (host:pid) is a process of this host that no longer exists (a job of another host: unknown)."""
    import socket

    host, _, pid = (runner or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Records:
    _pruned_at = 0.0  # when old answers were last pruned by this process

    # -- models ---------------------------------------------------------------------------------------------
    def save_model(self, workload_id: str, profiles_version: str, params: dict[str, Any]) -> None:
        with self._tx() as conn:
            conn.execute(insert(models).values(workload_id=workload_id, profiles_version=profiles_version,
                                               params=json.dumps(params), created_at=time.time()))

    def latest_model(self, workload_id: str) -> dict[str, Any] | None:
        with self._read() as conn:
            r = conn.execute(select(models).where(models.c.workload_id == workload_id)
                             .order_by(models.c.id.desc()).limit(1)).first()
        if r is None:
            return None
        return {"profiles_version": r.profiles_version, "params": json.loads(r.params), "created_at": r.created_at}

    # -- recommendations ------------------------------------------------------------------------------------
    def save_recommendation(self, rec_id: str, workload_id: str, request: dict[str, Any],
                            response: dict[str, Any] | str, keep_s: float | None = None) -> None:
        """Store an answer once per distinct input; with KEEP_S, answers older than that which no deployment
        refers to are pruned (at most once an hour per process), so anonymous calls cannot grow the store forever."""
        now = time.time()
        with self._tx() as conn:
            if keep_s and now - self._pruned_at > 3600:
                self._pruned_at = now
                deployed = select(deployments.c.recommendation_id)
                conn.execute(delete(recommendations).where(recommendations.c.created_at < now - keep_s)
                             .where(recommendations.c.id.not_in(deployed)))
            if conn.execute(RECOMMENDATION_EXISTS, {"id": rec_id}).first():
                return  # same inputs, same id, same answer: nothing to write
            conn.execute(insert(recommendations).values(id=rec_id, workload_id=workload_id,
                                                        request=json.dumps(request),
                                                        response=response if isinstance(response, str)
                                                        else json.dumps(response),
                                                        created_at=time.time()))

    def get_recommendation(self, rec_id: str) -> dict[str, Any]:
        with self._read() as conn:
            r = conn.execute(select(recommendations).where(recommendations.c.id == rec_id)).first()
        if r is None:
            raise NotFound(f"no recommendation {rec_id!r}", hint="ids come from `advisor recommend --json` "
                           "(field \"id\")", fields={"id": "unknown"})
        return json.loads(r.response)

    # -- deployments ----------------------------------------------------------------------------------------
    def save_deployment(self, plan: dict[str, Any], status: str) -> None:
        now = time.time()
        with self._tx() as conn:
            if conn.execute(select(deployments.c.id).where(deployments.c.id == plan["id"])).first():
                conn.execute(update(deployments).where(deployments.c.id == plan["id"]).values(
                    status=status, updated_at=now))
            else:
                conn.execute(insert(deployments).values(id=plan["id"], recommendation_id=plan["recommendation_id"],
                                                        plan=json.dumps(plan), status=status, created_at=now,
                                                        updated_at=now))

    def get_deployment(self, deployment_id: str) -> dict[str, Any]:
        with self._read() as conn:
            r = conn.execute(select(deployments).where(deployments.c.id == deployment_id)).first()
        if r is None:
            raise NotFound(f"no deployment plan {deployment_id!r}", hint="plans come from POST /deployments or "
                           "advisor deploy", fields={"id": "unknown"})
        return {"id": r.id, "plan": json.loads(r.plan), "status": r.status, "created_at": r.created_at,
                "updated_at": r.updated_at}

    # -- jobs -----------------------------------------------------------------------------------------------
    def create_job(self, kind: str, request: dict[str, Any]) -> str:
        """A job run by a thread of this process (recorded as its runner, host:pid)."""
        job_id = "job-" + uuid.uuid4().hex[:12]
        now = time.time()
        with self._tx() as conn:
            conn.execute(insert(jobs).values(id=job_id, kind=kind, status="queued", progress=0.0, message="",
                                             request=json.dumps(request), created_at=now, updated_at=now,
                                             runner=_this_process()))
        return job_id

    def update_job(self, job_id: str, **values: Any) -> None:
        for key in ("result", "error"):
            if key in values and values[key] is not None:
                values[key] = json.dumps(values[key])
        with self._tx() as conn:
            conn.execute(update(jobs).where(jobs.c.id == job_id).values(updated_at=time.time(), **values))

    def list_jobs(self, kind: str) -> list[dict[str, Any]]:
        """Jobs of KIND, newest first."""
        with self._read() as conn:
            ids = [r.id for r in conn.execute(select(jobs.c.id).where(jobs.c.kind == kind)
                                              .order_by(jobs.c.created_at.desc()))]
        return [self.get_job(i) for i in ids]

    def get_job(self, job_id: str) -> dict[str, Any]:
        with self._read() as conn:
            r = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
        if r is None:
            raise NotFound(f"no job {job_id!r}", hint="job ids come from POST /profiles", fields={"id": "unknown"})
        if r.status in ("queued", "running") and runner_gone(r.runner):
            self.update_job(job_id, status="failed", error={
                "code": "interrupted", "message": "the server process running this job stopped before it finished",
                "hint": "start the profile again; the trials it stored are kept", "fields": {}})
            return self.get_job(job_id)
        return {"id": r.id, "kind": r.kind, "status": r.status, "progress": r.progress, "message": r.message,
                "request": json.loads(r.request), "result": json.loads(r.result) if r.result else None,
                "error": json.loads(r.error) if r.error else None, "created_at": r.created_at,
                "updated_at": r.updated_at}
