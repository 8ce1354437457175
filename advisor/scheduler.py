"""The scheduler process: APScheduler 3 with its SQLAlchemy job store in the advisor's own database.

The `schedules` table is the truth (the CLI and the API write it); the process that holds the database lock
mirrors it into APScheduler every few seconds and runs the jobs; APScheduler's job store keeps each job's next run
time, so a restart resumes the timing instead of starting over. Other processes wait and take the lock over when
its holder's heartbeat is older than the TTL.

Misfires and coalescing, set deliberately:
- coalesce=True: after downtime, the runs missed while down are run once, not once per missed period (each run
  measures the present; ten identical catch-up runs would measure nothing new);
- misfire_grace_time = the schedule's own interval: a run late by less than one period still happens, one later
  than that is skipped, since the next one is due anyway;
- max_instances=1: a slow run is never overlapped by the next one of the same schedule.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from advisor.core import settings

log = logging.getLogger("advisor.scheduler")
_current: "SchedulerProcess | None" = None


def run_schedule(schedule_id: str) -> None:
    """The APScheduler job: run the schedule if this process still holds the lock (a paused-then-resumed holder
    that lost it must not run a job the new holder also runs)."""
    from advisor.service.scheduling import execute, runner_id
    from advisor.service.state import activate, deactivate

    me = _current
    if me is None:
        execute(schedule_id, runner_id())
        return
    if not me.still_leader():
        log.warning("not running %s: this process no longer holds the scheduler lock", schedule_id)
        return
    token = activate(me.state)  # the job runs on this process's store and caches
    try:
        execute(schedule_id, runner_id())
    finally:
        deactivate(token)


class SchedulerProcess:
    def __init__(self, ttl_s: float | None = None, sync_s: float | None = None) -> None:
        from advisor.service.scheduling import runner_id
        from advisor.service.state import State
        from advisor.store.schedules import Schedules

        self.me = runner_id()
        self.state = State()
        self.store = self.state.store
        self.schedules = Schedules(self.store)
        self.ttl_s = float(ttl_s if ttl_s is not None else settings.get("SCHEDULER_LOCK_TTL_S"))
        self.sync_s = float(sync_s if sync_s is not None else max(0.5, self.ttl_s / 3))
        self.scheduler: Any = None
        self.stopped = threading.Event()

    def still_leader(self) -> bool:
        holder = self.schedules.lock_holder()
        return holder is not None and holder["holder"] == self.me

    def _start(self) -> None:
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        from advisor.store.schedules import JOBSTORE_TABLE

        self.scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(url=self.store.url, tablename=JOBSTORE_TABLE)},
            job_defaults={"coalesce": True, "max_instances": 1}, timezone="UTC")
        self.scheduler.start()
        log.info("scheduler %s holds the lock and runs the jobs", self.me)

    def _stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None

    def reconcile(self) -> None:
        """Make APScheduler's jobs match the schedules table: add, pause, resume, remove."""
        wanted = {s["id"]: s for s in self.schedules.all()}
        jobs = {job.id: job for job in self.scheduler.get_jobs()}
        for schedule_id, s in wanted.items():
            job = jobs.get(schedule_id)
            if job is None or job.trigger.interval.total_seconds() != s["every_s"]:
                self.scheduler.add_job("advisor.scheduler:run_schedule", "interval", seconds=s["every_s"],
                                       id=schedule_id, args=[schedule_id], replace_existing=True,
                                       misfire_grace_time=s["every_s"], name=f"{s['job']} {s['workload']}")
                job = self.scheduler.get_job(schedule_id)
            if s["paused"] and job.next_run_time is not None:
                job.pause()
            elif not s["paused"] and job.next_run_time is None:
                job.resume()
        for job_id in set(jobs) - set(wanted):
            self.scheduler.remove_job(job_id)

    def step(self) -> bool:
        """One beat: take or renew the lock; lead (start, reconcile) or follow (stop). True while leading."""
        global _current
        _current = self
        leading = self.schedules.hold_lock(self.me, self.ttl_s)
        if leading:
            if self.scheduler is None:
                self._start()
            self.reconcile()
        elif self.scheduler is not None:
            log.warning("scheduler %s lost the lock; stopping its jobs", self.me)
            self._stop()
        return leading

    def run(self) -> None:
        """Beat until stopped (SIGINT/SIGTERM in `advisor scheduler run`; the server's exit when embedded)."""
        try:
            while not self.stopped.is_set():
                try:
                    self.step()
                except Exception as exc:  # noqa: BLE001 - a database hiccup must not kill the scheduler
                    log.warning("scheduler beat failed: %s", exc)
                self.stopped.wait(self.sync_s)
        finally:
            self._stop()
            try:
                self.schedules.release_lock(self.me)
            except Exception:  # noqa: BLE001 - the TTL frees it anyway
                pass

    def start_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="advisor-scheduler", daemon=True)
        thread.start()
        return thread
