"""Persistence: SQLAlchemy 2 Core over a SQLite file (WAL) by default, PostgreSQL by URL.

Every write is one transaction, so a failure leaves nothing half-written. Database errors that a user can fix
(locked, read-only, unreachable) become `StoreUnavailable` with a hint.
"""

from __future__ import annotations

import json
import math
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import create_engine, delete, event, func, insert, inspect, select, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from advisor.core.domain import Config, Measurement, Profile
from advisor.core.errors import StoreUnavailable
from advisor.store.records import Records
from advisor.store.tables import (MIGRATIONS, PROFILES_VERSION_QUERY, SCHEMA_VERSION, deployments, measurements, meta,
                                  metadata, models, profiles, recommendations, schedules, workloads)

def _hint_for(exc: SQLAlchemyError, url: str) -> StoreUnavailable:
    url = make_url(url).render_as_string(hide_password=True)  # never a password in a message or a 503 body
    text = str(getattr(exc, "orig", exc)).lower()
    if "locked" in text or "busy" in text:
        return StoreUnavailable("the store is locked by another process", hint="retry in a moment; if it persists, "
                                "find the process holding the database (e.g. a long import) and let it finish")
    if "readonly" in text or "read-only" in text or "unable to open" in text or "permission" in text:
        return StoreUnavailable(f"the store at {url} cannot be written", hint="check the file's and folder's "
                                "permissions, or set ADVISOR_DATA_DIR / ADVISOR_DATABASE_URL to a writable place")
    return StoreUnavailable(f"the store failed: {getattr(exc, 'orig', exc)}", hint="check ADVISOR_DATABASE_URL")


def _finite(summary: dict[str, Any]) -> dict[str, Any]:
    """Drop NaN figures (a metric with no samples): JSON has no NaN, and absent is what they mean."""
    return {k: v for k, v in summary.items() if not (isinstance(v, float) and math.isnan(v))}


def _profile_from_row(row: Any, rows_of_measurements: list[Any] | None = None) -> Profile:
    ms = tuple(Measurement(m.duration_ms, m.billed_duration_ms, m.init_duration_ms, m.max_memory_used_mb,
                           bool(m.cold), bool(m.failed), m.concurrency, m.rps) for m in (rows_of_measurements or []))
    return Profile(row.workload_id, Config.from_dict(json.loads(row.config)), row.method, json.loads(row.summary),
                   ms, bool(row.feasible), row.note)


def _retry_locked(statement: Any, timeout_s: float) -> Any:
    """Run STATEMENT, retrying in 1-5 ms steps while SQLite says the database is locked, up to TIMEOUT_S."""
    import sqlite3

    deadline = time.monotonic() + timeout_s
    delay = 0.001
    while True:
        try:
            return statement()
        except (OperationalError, sqlite3.OperationalError) as exc:
            if "locked" not in str(exc).lower() or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.005)


class Store(Records):
    """The advisor's database. One instance per process; safe to share between threads."""

    def __init__(self, url: str, busy_timeout_s: float = 5.0) -> None:
        self.url = url
        self._pid = os.getpid()
        self._versions: dict[str, tuple[str | None, float]] = {}  # workload -> (profiles version, when read)
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = make_url(url).database or ""
            if path and path != ":memory:" and not path.startswith("file:"):
                try:
                    Path(path).parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreUnavailable(f"cannot create the folder for the store {path}: {exc.strerror}",
                                           hint="set ADVISOR_DATA_DIR to a writable folder") from exc
            # A pool of open connections (file databases only): opening one per query costs a WAL checkpoint.
            pool = {"poolclass": NullPool} if path in ("", ":memory:") else {"pool_size": 8, "max_overflow": 8}
            # timeout=0: SQLite's own busy handler sleeps in steps of up to 100 ms; `_begin` retries in 1-5 ms.
            self.engine: Engine = create_engine(url, connect_args={"timeout": 0, "check_same_thread": False},
                                                **pool)
            event.listen(self.engine, "connect", self._sqlite_pragmas)
            event.listen(self.engine, "begin", self._begin)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)

        self.busy_timeout_s = busy_timeout_s

    def _begin(self, conn: Any) -> None:
        """Writers take the write lock up front (BEGIN IMMEDIATE), retrying in short steps until the timeout,
        so two processes writing at once wait milliseconds, not SQLite's 100 ms sleeps. Readers start their snapshot
        at once, with the same retries: in WAL mode a reader is refused only while another connection recovers the
        WAL index (several processes opening the database at once, as a server's workers do when they start)."""
        if not conn.info.get("write"):
            conn.exec_driver_sql("BEGIN")
            _retry_locked(lambda: conn.exec_driver_sql("SELECT 1 FROM sqlite_master LIMIT 1"), self.busy_timeout_s)
            return
        _retry_locked(lambda: conn.exec_driver_sql("BEGIN IMMEDIATE"), self.busy_timeout_s)

    @staticmethod
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # transactions are begun by `_begin`, not by the driver
        cur = dbapi_conn.cursor()
        _retry_locked(lambda: cur.execute("PRAGMA journal_mode=WAL"), 5.0)
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    def _after_fork(self) -> None:
        """A forked worker must not use its parent's pooled connections."""
        if self._pid != os.getpid():
            self.engine.dispose(close=False)
            self._pid = os.getpid()

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        self._after_fork()
        self._versions.clear()  # anything written here may change a version: read it afresh
        try:
            with self.engine.connect() as conn:
                conn.info["write"] = True
                try:
                    with conn.begin():
                        yield conn
                finally:
                    conn.info["write"] = False
        except (OperationalError, ProgrammingError) as exc:
            raise _hint_for(exc, self.url) from exc

    @contextmanager
    def _read(self) -> Iterator[Any]:
        self._after_fork()
        try:
            with self.engine.connect() as conn:
                yield conn
        except (OperationalError, ProgrammingError) as exc:
            raise _hint_for(exc, self.url) from exc

    # -- schema ---------------------------------------------------------------------------------------------
    def init(self) -> "Store":
        """Create the schema, or migrate it to SCHEMA_VERSION. A store already at it is only read: a server's
        workers open it at once while its scheduler writes, and need not queue for the write lock."""
        if self._current_version() == SCHEMA_VERSION:
            return self
        with self._tx() as conn:
            metadata.create_all(conn)
            row = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).first()
            version = int(row[0]) if row else 0
            if version == 0:
                conn.execute(insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
                version = SCHEMA_VERSION
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS.get(target, []):
                    conn.exec_driver_sql(statement)
                conn.execute(update(meta).where(meta.c.key == "schema_version").values(value=str(target)))
        return self

    def _current_version(self) -> int | None:
        """The schema's version, or None when there is no schema yet."""
        with self._read() as conn:
            if not inspect(conn).has_table(meta.name):
                return None
            row = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).first()
        return int(row[0]) if row else None

    def schema_version(self) -> int:
        with self._read() as conn:
            return int(conn.execute(select(meta.c.value).where(meta.c.key == "schema_version")).scalar_one())

    # -- workloads ------------------------------------------------------------------------------------------
    def upsert_workload(self, workload_id: str, kind: str, description: str = "",
                        params: dict[str, Any] | None = None) -> None:
        with self._tx() as conn:
            self._ensure_workload(conn, workload_id, kind, description, params)

    def _ensure_workload(self, conn: Any, workload_id: str, kind: str, description: str = "",
                         params: dict[str, Any] | None = None) -> None:
        exists = conn.execute(select(workloads.c.id).where(workloads.c.id == workload_id)).first()
        values = {"kind": kind, "description": description, "params": json.dumps(params or {}, sort_keys=True)}
        if exists:
            if description or params:
                conn.execute(update(workloads).where(workloads.c.id == workload_id).values(**values))
        else:
            conn.execute(insert(workloads).values(id=workload_id, created_at=time.time(), **values))

    def list_workloads(self) -> list[dict[str, Any]]:
        with self._read() as conn:
            counts = dict(conn.execute(select(profiles.c.workload_id, func.count())
                                       .group_by(profiles.c.workload_id)).all())
            rows = conn.execute(select(workloads).order_by(workloads.c.id)).all()
        return [{"id": r.id, "kind": r.kind, "description": r.description, "params": json.loads(r.params),
                 "profiles": int(counts.get(r.id, 0)), "created_at": r.created_at} for r in rows]

    def get_workload(self, workload_id: str) -> dict[str, Any] | None:
        with self._read() as conn:
            r = conn.execute(select(workloads).where(workloads.c.id == workload_id)).first()
        if r is None:
            return None
        return {"id": r.id, "kind": r.kind, "description": r.description, "params": json.loads(r.params),
                "created_at": r.created_at}

    def replace_workload(self, workload_id: str, kind: str, description: str, params: dict[str, Any],
                         archive: tuple[str, str, dict[str, Any]] | None = None) -> None:
        """Write a workload's row; with ARCHIVE (id, description, params), first move its profiles to a new workload
        of that id (a superseded version's measurements: history for others, no longer the workload's own). One
        transaction."""
        with self._tx() as conn:
            if archive:
                archive_as, archive_description, archive_params = archive
                conn.execute(insert(workloads).values(id=archive_as, kind=kind, description=archive_description,
                                                      params=json.dumps(archive_params), created_at=time.time()))
                conn.execute(update(profiles).where(profiles.c.workload_id == workload_id)
                             .values(workload_id=archive_as))
            self._ensure_workload(conn, workload_id, kind, description, params)

    def workload_references(self, workload_id: str) -> dict[str, int]:
        """What refers to a workload and would stop a removal: schedules, and deployments of its answers."""
        with self._read() as conn:
            answers = select(recommendations.c.id).where(recommendations.c.workload_id == workload_id)
            return {"schedules": int(conn.execute(select(func.count()).where(
                        schedules.c.workload_id == workload_id)).scalar_one()),
                    "deployments": int(conn.execute(select(func.count()).where(
                        deployments.c.recommendation_id.in_(answers))).scalar_one())}

    def remove_workload(self, workload_id: str) -> None:
        """Delete a workload with its profiles, measurements, fitted models and answers, in one transaction."""
        with self._tx() as conn:
            own = select(profiles.c.id).where(profiles.c.workload_id == workload_id)
            conn.execute(delete(measurements).where(measurements.c.profile_id.in_(own)))
            conn.execute(delete(profiles).where(profiles.c.workload_id == workload_id))
            conn.execute(delete(models).where(models.c.workload_id == workload_id))
            conn.execute(delete(recommendations).where(recommendations.c.workload_id == workload_id))
            conn.execute(delete(workloads).where(workloads.c.id == workload_id))

    # -- profiles -------------------------------------------------------------------------------------------
    def add_profiles(self, items: list[Profile], kind: str = "inference", supersede: bool = False) -> list[int]:
        """Store profiles with all their measurements in one transaction: all or nothing. SUPERSEDE first drops
        the older profiles of the same configs (after drift, the old figures no longer describe them)."""
        with self._tx() as conn:
            return self._insert_profiles(conn, items, kind, supersede)

    def import_once(self, key: str, items: list[Profile], workloads_to_make: dict[str, tuple[str, str]]) -> bool:
        """An import in one transaction: the workloads it names (id -> (kind, description)) made if new, its
        profiles stored, and KEY recorded; False, with nothing written, when KEY was imported before."""
        with self._tx() as conn:
            if conn.execute(select(meta.c.key).where(meta.c.key == f"import:{key}")).first():
                return False
            for workload_id, (kind, description) in workloads_to_make.items():
                self._ensure_workload(conn, workload_id, kind, description)
            self._insert_profiles(conn, items, "inference", False)
            conn.execute(insert(meta).values(key=f"import:{key}", value=json.dumps({"at": time.time(),
                                                                                   "profiles": len(items)})))
        return True

    def _insert_profiles(self, conn: Any, items: list[Profile], kind: str, supersede: bool) -> list[int]:
        ids: list[int] = []
        if supersede:
            for p in items:
                old = select(profiles.c.id).where(profiles.c.workload_id == p.workload).where(
                    profiles.c.config_key == p.config.key)
                conn.execute(delete(measurements).where(measurements.c.profile_id.in_(old)))
                conn.execute(delete(profiles).where(profiles.c.id.in_(old)))
        for p in items:
            self._ensure_workload(conn, p.workload, kind)
            pid = conn.execute(insert(profiles).values(
                workload_id=p.workload, config_key=p.config.key, config=json.dumps(p.config.to_dict()),
                method=p.method, summary=json.dumps(_finite(p.summary)), feasible=p.feasible, note=p.note,
                created_at=time.time())).inserted_primary_key[0]
            if p.measurements:
                conn.execute(insert(measurements), [
                    {"profile_id": pid, "duration_ms": m.duration_ms, "billed_duration_ms": m.billed_duration_ms,
                     "init_duration_ms": m.init_duration_ms, "max_memory_used_mb": m.max_memory_used_mb,
                     "cold": m.cold, "failed": m.failed, "concurrency": m.concurrency, "rps": m.rps}
                    for m in p.measurements])
            ids.append(int(pid))
        return ids

    def profiles(self, workload_id: str, with_measurements: bool = False) -> list[Profile]:
        with self._read() as conn:
            rows = conn.execute(select(profiles).where(profiles.c.workload_id == workload_id)
                                .order_by(profiles.c.id)).all()
            by_profile: dict[int, list[Any]] = {}
            if with_measurements and rows:
                for m in conn.execute(select(measurements).where(
                        measurements.c.profile_id.in_([r.id for r in rows])).order_by(measurements.c.id)):
                    by_profile.setdefault(m.profile_id, []).append(m)
        return [_profile_from_row(r, by_profile.get(r.id)) for r in rows]

    def profile_rows(self, workload_id: str) -> list[dict[str, Any]]:
        """Profiles as plain dicts with their ids and times, for listings."""
        with self._read() as conn:
            rows = conn.execute(select(profiles).where(profiles.c.workload_id == workload_id)
                                .order_by(profiles.c.id)).all()
        return [{"id": r.id, "config": json.loads(r.config), "config_key": r.config_key, "method": r.method,
                 "summary": json.loads(r.summary), "feasible": bool(r.feasible), "note": r.note,
                 "created_at": r.created_at} for r in rows]

    def profiles_version(self, workload_id: str, max_age_s: float = 0.0) -> str | None:
        """Changes whenever the workload's profiles change (the model cache key); None for an unknown workload.
        With MAX_AGE_S, an answer that old from this process may be reused (writes here clear it at once)."""
        now = time.monotonic()
        if max_age_s > 0:
            hit = self._versions.get(workload_id)
            if hit is not None and now - hit[1] <= max_age_s:
                return hit[0]
        with self._read() as conn:
            count, last, known = conn.execute(PROFILES_VERSION_QUERY, {"w": workload_id}).one()
        version = f"{count}:{last or 0}" if known else None
        self._versions[workload_id] = (version, now)
        return version
