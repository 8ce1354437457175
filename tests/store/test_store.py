"""The store: a real SQLite file in WAL mode; all-or-nothing writes; clear errors when locked or read-only."""

import os
import sqlite3

import pytest

from advisor.core.domain import Config, Measurement, Profile
from advisor.core.errors import StoreUnavailable
from advisor.store.database import SCHEMA_VERSION, Store


def _profile(workload="w", memory=1024, n=3):
    return Profile(workload, Config("lambda", memory_mb=memory), "test", {"p95_ms": 10.0},
                   tuple(Measurement(10.0 + k) for k in range(n)))


def test_sqlite_file_in_wal_mode_with_schema_version(tmp_path):
    path = tmp_path / "a.sqlite"
    store = Store(f"sqlite:///{path}").init()
    assert store.schema_version() == SCHEMA_VERSION
    store.add_profiles([_profile()])
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert Store(f"sqlite:///{path}").init().schema_version() == SCHEMA_VERSION  # re-init migrates nothing


def test_profiles_round_trip_with_their_measurements(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'a.sqlite'}").init()
    store.add_profiles([_profile(n=5)])
    (back,) = store.profiles("w", with_measurements=True)
    assert back.config == Config("lambda", memory_mb=1024)
    assert [m.duration_ms for m in back.measurements] == [10.0, 11.0, 12.0, 13.0, 14.0]
    before = store.profiles_version("w")
    store.add_profiles([_profile(memory=2048)])
    assert store.profiles_version("w") != before


def test_a_failing_batch_writes_nothing(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'a.sqlite'}").init()
    good = _profile()
    bad = Profile("w", Config("lambda", memory_mb=2048), "test", {"p95_ms": float("nan")},
                  (Measurement(None),))  # type: ignore[arg-type]  # NOT NULL violation on the 2nd profile
    with pytest.raises(Exception):
        store.add_profiles([good, bad])
    assert store.profiles("w") == []


def test_a_locked_store_is_a_clear_error_and_nothing_is_written(tmp_path):
    path = tmp_path / "a.sqlite"
    store = Store(f"sqlite:///{path}", busy_timeout_s=0.2).init()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreUnavailable) as err:
            store.add_profiles([_profile()])
        assert "locked" in err.value.message and err.value.hint
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.profiles("w") == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through file permissions")
def test_an_unwritable_store_is_a_clear_error(tmp_path):
    path = tmp_path / "a.sqlite"
    Store(f"sqlite:///{path}").init()
    os.chmod(path, 0o444)
    os.chmod(tmp_path, 0o555)
    try:
        with pytest.raises(StoreUnavailable):
            Store(f"sqlite:///{path}").init().add_profiles([_profile()])
    finally:
        os.chmod(tmp_path, 0o755)
        os.chmod(path, 0o644)


def test_a_store_folder_that_cannot_be_made_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreUnavailable) as err:
        Store(f"sqlite:///{blocker}/sub/a.sqlite")
    assert "ADVISOR_DATA_DIR" in err.value.hint


def test_a_read_only_database_is_a_clear_error(tmp_path):
    path = tmp_path / "a.sqlite"
    Store(f"sqlite:///{path}").init()
    store = Store(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(StoreUnavailable) as err:
        store.add_profiles([_profile()])
    assert "cannot be written" in err.value.message


def test_a_version_1_store_is_migrated_and_keeps_its_rows(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    store = Store(f"sqlite:///{path}").init()
    store.upsert_workload("kept", "inference", "from before")
    with sqlite3.connect(path) as db:  # the store as version 1 left it: jobs without a runner
        db.execute("ALTER TABLE jobs DROP COLUMN runner")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    migrated = Store(f"sqlite:///{path}").init()
    assert migrated.schema_version() == SCHEMA_VERSION == 2
    assert migrated.get_workload("kept")["description"] == "from before"
    assert migrated.get_job(migrated.create_job("profile", {}))["status"] == "queued"


def test_a_job_whose_process_died_is_failed_when_read_not_running_forever(tmp_path):
    import socket
    import subprocess
    import sys

    from sqlalchemy import update

    from advisor.store.tables import jobs

    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}").init()
    job_id = store.create_job("profile", {"workload": "w"})
    store.update_job(job_id, status="running")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that no longer exists: the server that ran the job, killed and restarted
    with store.engine.begin() as conn:
        conn.execute(update(jobs).where(jobs.c.id == job_id).values(runner=f"{socket.gethostname()}:{gone.pid}"))
    job = store.get_job(job_id)
    assert job["status"] == "failed" and job["error"]["code"] == "interrupted"
    alive = store.create_job("profile", {})  # this process's own jobs stay as they are
    assert store.get_job(alive)["status"] == "queued"


def test_old_answers_are_pruned_unless_a_deployment_refers_to_them(tmp_path):
    import time

    from sqlalchemy import update

    from advisor.store.tables import recommendations

    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}").init()
    store.upsert_workload("w", "inference")
    for rec_id in ("rec-old", "rec-deployed", "rec-recent"):
        store.save_recommendation(rec_id, "w", {}, {"id": rec_id})
    store.save_deployment({"id": "dep-1", "recommendation_id": "rec-deployed"}, "applied")
    with store.engine.begin() as conn:
        conn.execute(update(recommendations).where(recommendations.c.id.in_(["rec-old", "rec-deployed"]))
                     .values(created_at=time.time() - 40 * 86400))
    store._pruned_at = 0.0
    store.save_recommendation("rec-new", "w", {}, {"id": "rec-new"}, keep_s=30 * 86400)
    kept = {r for r in ("rec-old", "rec-deployed", "rec-recent", "rec-new")
            if _exists(store, r)}
    assert kept == {"rec-deployed", "rec-recent", "rec-new"}


def _exists(store, rec_id):
    from advisor.core.errors import NotFound

    try:
        store.get_recommendation(rec_id)
        return True
    except NotFound:
        return False


def test_a_stored_answer_is_bounded_by_the_candidates_not_the_request(profiled):
    import json

    from advisor import service

    answer = service.recommend({"workload": "ncf-recommender", "sla": "p95<=250ms", "rps": 40})
    assert len(json.dumps(answer)) < 120_000  # every candidate once, whatever was asked


def test_a_schedule_run_whose_scheduler_died_reads_as_interrupted(tmp_path):
    import socket
    import subprocess
    import sys

    from advisor.store.schedules import Schedules

    store = Store(f"sqlite:///{tmp_path / 's.sqlite'}").init()
    store.upsert_workload("w", "inference")
    schedules = Schedules(store)
    made = schedules.add("w", "reprofile", 3600, {"sla": "p95<=1s", "paused": False})
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    schedules.start_run(made["id"], f"{socket.gethostname()}:{gone.pid}")  # killed mid-run
    run = schedules.runs(made["id"])[0]
    assert run["status"] == "failed" and run["error"].startswith("interrupted")
