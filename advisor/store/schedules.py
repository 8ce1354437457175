"""Schedules, their runs and the scheduler's lock, in the advisor's own database (next to the profiles they feed).

The lock makes exactly one scheduler process run the jobs when several are started against one database: the
holder renews a heartbeat; another process takes the lock over only when the heartbeat is older than the TTL
(its holder died or hung). Taking and renewing are single conditional UPDATEs, atomic on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from advisor.core.errors import NotFound
from advisor.store.tables import schedule_runs, scheduler_lock, schedules
from advisor.store.database import Store
from advisor.store.records import runner_gone

JOBSTORE_TABLE = "apscheduler_jobs"  # where APScheduler's SQLAlchemyJobStore keeps the jobs (advisor/scheduler.py)

LOCK_NAME = "scheduler"


def _schedule_row(r: Any) -> dict[str, Any]:
    return {"id": r.id, "workload": r.workload_id, "job": r.job, "every_s": r.every_s, **json.loads(r.spec),
            "paused": bool(r.paused), "created_at": r.created_at, "cursor": r.cursor}


class Schedules:
    def __init__(self, store: Store) -> None:
        self.store = store

    # -- schedules ------------------------------------------------------------------------------------------
    def add(self, workload_id: str, job: str, every_s: int, spec: dict[str, Any]) -> dict[str, Any]:
        schedule_id = "sch-" + uuid.uuid4().hex[:10]
        with self.store._tx() as conn:
            conn.execute(insert(schedules).values(id=schedule_id, workload_id=workload_id, job=job, every_s=every_s,
                                                  spec=json.dumps(spec), paused=False, created_at=time.time()))
        return self.get(schedule_id)

    def get(self, schedule_id: str) -> dict[str, Any]:
        with self.store._read() as conn:
            r = conn.execute(select(schedules).where(schedules.c.id == schedule_id)).first()
        if r is None:
            raise NotFound(f"no schedule {schedule_id!r}", hint="see `advisor schedule list`",
                           fields={"id": "unknown"})
        return _schedule_row(r)

    def all(self) -> list[dict[str, Any]]:
        with self.store._read() as conn:
            rows = conn.execute(select(schedules).order_by(schedules.c.created_at)).all()
        return [_schedule_row(r) for r in rows]

    def next_runs(self) -> dict[str, float]:
        """Each scheduled job's next run (epoch seconds) as the leading scheduler stored it in APScheduler's job
        table; empty before any scheduler has run."""
        from sqlalchemy import inspect, text

        with self.store._read() as conn:
            if not inspect(conn).has_table(JOBSTORE_TABLE):  # no scheduler has made its table yet
                return {}
            rows = conn.execute(text(f"SELECT id, next_run_time FROM {JOBSTORE_TABLE}")).all()
        return {r[0]: float(r[1]) for r in rows if r[1] is not None}

    def set_paused(self, schedule_id: str, paused: bool) -> dict[str, Any]:
        self.get(schedule_id)
        with self.store._tx() as conn:
            conn.execute(update(schedules).where(schedules.c.id == schedule_id).values(paused=paused))
        return self.get(schedule_id)

    def update_spec(self, schedule_id: str, **changes: Any) -> None:
        with self.store._tx() as conn:
            row = conn.execute(select(schedules.c.spec).where(schedules.c.id == schedule_id)).first()
            if row is not None:
                conn.execute(update(schedules).where(schedules.c.id == schedule_id).values(
                    spec=json.dumps(json.loads(row.spec) | changes)))

    def set_cursor(self, schedule_id: str, cursor: float) -> None:
        with self.store._tx() as conn:
            conn.execute(update(schedules).where(schedules.c.id == schedule_id).values(cursor=cursor))

    def remove(self, schedule_id: str) -> None:
        self.get(schedule_id)
        with self.store._tx() as conn:
            conn.execute(delete(schedule_runs).where(schedule_runs.c.schedule_id == schedule_id))
            conn.execute(delete(schedules).where(schedules.c.id == schedule_id))

    # -- runs -----------------------------------------------------------------------------------------------
    def start_run(self, schedule_id: str, runner: str) -> int:
        with self.store._tx() as conn:
            result = conn.execute(insert(schedule_runs).values(schedule_id=schedule_id, started_at=time.time(),
                                                               status="running", runner=runner))
            return int(result.inserted_primary_key[0])

    def finish_run(self, run_id: int, status: str, outcome: dict[str, Any] | None = None,
                   error: str | None = None) -> None:
        with self.store._tx() as conn:
            conn.execute(update(schedule_runs).where(schedule_runs.c.id == run_id).values(
                finished_at=time.time(), status=status, outcome=json.dumps(outcome) if outcome is not None else None,
                error=error))

    def runs(self, schedule_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """A schedule's runs, newest first; a run left "running" by a process that is gone is failed first."""
        self.get(schedule_id)
        with self.store._read() as conn:
            orphans = [r.id for r in conn.execute(select(schedule_runs.c.id, schedule_runs.c.runner).where(
                schedule_runs.c.schedule_id == schedule_id).where(schedule_runs.c.status == "running"))
                if runner_gone(r.runner)]
        for run_id in orphans:
            self.finish_run(run_id, "failed", error="interrupted: the scheduler running it stopped before it finished")
        with self.store._read() as conn:
            rows = conn.execute(select(schedule_runs).where(schedule_runs.c.schedule_id == schedule_id)
                                .order_by(schedule_runs.c.id.desc()).limit(limit)).all()
        return [{"id": r.id, "schedule": r.schedule_id, "started_at": r.started_at, "finished_at": r.finished_at,
                 "duration_s": (r.finished_at - r.started_at) if r.finished_at else None, "status": r.status,
                 "runner": r.runner, "outcome": json.loads(r.outcome) if r.outcome else None, "error": r.error}
                for r in rows]

    # -- the lock -------------------------------------------------------------------------------------------
    def hold_lock(self, holder: str, ttl_s: float) -> bool:
        """Take or renew the scheduler lock for HOLDER; False while another live holder has it."""
        now = time.time()
        try:
            with self.store._tx() as conn:
                conn.execute(insert(scheduler_lock).values(name=LOCK_NAME, holder=holder, heartbeat_at=now))
            return True
        except IntegrityError:  # the row exists (SQLite and PostgreSQL alike): someone holds it, maybe us
            pass
        with self.store._tx() as conn:
            taken = conn.execute(update(scheduler_lock).where(scheduler_lock.c.name == LOCK_NAME).where(
                or_(scheduler_lock.c.holder == holder, scheduler_lock.c.heartbeat_at < now - ttl_s)).values(
                holder=holder, heartbeat_at=now))
            return taken.rowcount == 1

    def lock_holder(self) -> dict[str, Any] | None:
        with self.store._read() as conn:
            r = conn.execute(select(scheduler_lock).where(scheduler_lock.c.name == LOCK_NAME)).first()
        return {"holder": r.holder, "heartbeat_at": r.heartbeat_at} if r else None

    def release_lock(self, holder: str) -> None:
        with self.store._tx() as conn:
            conn.execute(delete(scheduler_lock).where(scheduler_lock.c.name == LOCK_NAME)
                         .where(scheduler_lock.c.holder == holder))
