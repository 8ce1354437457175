"""The store's tables (SQLAlchemy Core) and their migrations. Bumping SCHEMA_VERSION needs an entry in MIGRATIONS."""

from __future__ import annotations

from sqlalchemy import (Boolean, Column, Float, ForeignKey, Integer, MetaData, String, Table, Text, bindparam, func,
                        select)

SCHEMA_VERSION = 2
metadata = MetaData()

meta = Table("meta", metadata, Column("key", String(64), primary_key=True), Column("value", Text, nullable=False))
workloads = Table(
    "workloads", metadata,
    Column("id", String(128), primary_key=True),
    Column("kind", String(16), nullable=False),  # inference | training
    Column("description", Text, nullable=False, default=""),
    Column("params", Text, nullable=False, default="{}"),
    Column("created_at", Float, nullable=False),
)
profiles = Table(
    "profiles", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("workload_id", String(128), ForeignKey("workloads.id"), nullable=False, index=True),
    Column("config_key", String(128), nullable=False),
    Column("config", Text, nullable=False),
    Column("method", String(64), nullable=False),
    Column("summary", Text, nullable=False),
    Column("feasible", Boolean, nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("created_at", Float, nullable=False),
)
measurements = Table(
    "measurements", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("profile_id", Integer, ForeignKey("profiles.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("duration_ms", Float, nullable=False),
    Column("billed_duration_ms", Float),
    Column("init_duration_ms", Float),
    Column("max_memory_used_mb", Float),
    Column("cold", Boolean, nullable=False, default=False),
    Column("failed", Boolean, nullable=False, default=False),
    Column("concurrency", Integer),
    Column("rps", Float),
)
models = Table(
    "models", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("workload_id", String(128), ForeignKey("workloads.id"), nullable=False, index=True),
    Column("profiles_version", String(64), nullable=False),
    Column("params", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)
recommendations = Table(
    "recommendations", metadata,
    Column("id", String(64), primary_key=True),
    Column("workload_id", String(128), ForeignKey("workloads.id"), nullable=False, index=True),
    Column("request", Text, nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)
deployments = Table(
    "deployments", metadata,
    Column("id", String(64), primary_key=True),
    Column("recommendation_id", String(64), ForeignKey("recommendations.id"), nullable=False),
    Column("plan", Text, nullable=False),
    Column("status", String(32), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
jobs = Table(
    "jobs", metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),  # queued, running, succeeded, failed
    Column("progress", Float, nullable=False, default=0.0),
    Column("message", Text, nullable=False, default=""),
    Column("request", Text, nullable=False, default="{}"),
    Column("result", Text),
    Column("error", Text),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("runner", String(128)),  # host:pid of the process whose thread runs it
)

schedules = Table(
    "schedules", metadata,
    Column("id", String(64), primary_key=True),
    Column("workload_id", String(128), ForeignKey("workloads.id"), nullable=False, index=True),
    Column("job", String(16), nullable=False),  # reprofile | import | prices
    Column("every_s", Integer, nullable=False),
    Column("spec", Text, nullable=False),  # sla, rps, backend, source, action, webhook, guardrails
    Column("paused", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
    Column("cursor", Float),  # imports: the newest event already imported (epoch seconds)
)
schedule_runs = Table(
    "schedule_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("schedule_id", String(64), ForeignKey("schedules.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("started_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("status", String(16), nullable=False),  # running, succeeded, failed
    Column("runner", String(128), nullable=False),  # host:pid of the scheduler that ran it
    Column("outcome", Text),  # drift, finding, saving, what changed
    Column("error", Text),
)
scheduler_lock = Table(
    "scheduler_lock", metadata,
    Column("name", String(32), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("heartbeat_at", Float, nullable=False),
)

# Built once: the hot path of POST /recommend runs these on every request.
PROFILES_VERSION_QUERY = (select(func.count(profiles.c.id), func.max(profiles.c.id),
                         select(func.count()).where(workloads.c.id == bindparam("w")).scalar_subquery())
                  .where(profiles.c.workload_id == bindparam("w")))
RECOMMENDATION_EXISTS = select(recommendations.c.id).where(recommendations.c.id == bindparam("id"))

# Each entry upgrades the schema from version N-1 to N. Version 1 is the tables above, made by create_all.
MIGRATIONS: dict[int, list[str]] = {
    2: ["ALTER TABLE jobs ADD COLUMN runner VARCHAR(128)"],
}
