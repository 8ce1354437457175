"""The scheduler as real processes on one SQLite database: jobs survive a restart in a new process, two schedulers
never run a job twice, and the survivor takes the lock over when its holder is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from advisor import service
from advisor.service import scheduling

TTL_S = 2.0


def _scheduler(data_dir) -> subprocess.Popen:
    env = dict(os.environ, ADVISOR_DATA_DIR=str(data_dir), ADVISOR_SCHEDULER_LOCK_TTL_S=str(TTL_S))
    return subprocess.Popen([sys.executable, "-m", "advisor.cli", "scheduler", "run"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _runs(schedule_id):
    return sorted(scheduling.runs(schedule_id), key=lambda r: r["started_at"])


def _wait_for(predicate, timeout_s=30.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _stop(*procs):
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


@pytest.fixture()
def every_second(data_dir):
    """A cheap job (a price refresh and its finding) due every second."""
    service.store()
    return scheduling.add({"workload": "ncf-recommender", "job": "prices", "every": "1s", "sla": "p95<=250ms"})


def test_two_schedulers_never_run_a_job_twice_and_the_survivor_takes_over(data_dir, every_second):
    first, second = _scheduler(data_dir), _scheduler(data_dir)
    try:
        assert _wait_for(lambda: len(_runs(every_second["id"])) >= 4), first.stderr
        runs = _runs(every_second["id"])
        leaders = {r["runner"] for r in runs}
        assert len(leaders) == 1  # one process ran every run
        starts = [r["started_at"] for r in runs]
        assert all(b - a > 0.5 for a, b in zip(starts, starts[1:]))  # each due time ran once
        leader_pid = int(leaders.pop().rsplit(":", 1)[1])
        assert leader_pid in (first.pid, second.pid)
        leader, survivor = (first, second) if leader_pid == first.pid else (second, first)
        leader.send_signal(signal.SIGKILL)  # dies holding the lock: no release, only the TTL frees it
        leader.wait(timeout=10)
        killed_at = time.time()
        assert _wait_for(lambda: any(r["runner"].endswith(f":{survivor.pid}") for r in _runs(every_second["id"])))
        taken = [r for r in _runs(every_second["id"]) if r["runner"].endswith(f":{survivor.pid}")]
        assert taken[0]["started_at"] - killed_at < TTL_S + 5
    finally:
        _stop(first, second)


def test_jobs_survive_a_restart_in_a_new_process(data_dir, every_second):
    from sqlalchemy import text

    first = _scheduler(data_dir)
    try:
        assert _wait_for(lambda: len(_runs(every_second["id"])) >= 1)
    finally:
        _stop(first)
    with service.store().engine.connect() as conn:  # APScheduler's own job store kept the job and its next run
        stored = conn.execute(text("select id, next_run_time from apscheduler_jobs")).all()
    assert [row[0] for row in stored] == [every_second["id"]] and stored[0][1] is not None
    before = len(_runs(every_second["id"]))
    scheduling.pause(every_second["id"])
    scheduling.resume(every_second["id"])
    second = _scheduler(data_dir)
    try:
        assert _wait_for(lambda: any(r["runner"].endswith(f":{second.pid}") for r in _runs(every_second["id"])))
        assert len(_runs(every_second["id"])) > before
    finally:
        _stop(second)
    assert service.store() and scheduling.get(every_second["id"])["paused"] is False
