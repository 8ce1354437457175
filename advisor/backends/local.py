"""The embedded default: trials run the real workload in a worker process on this machine, inside the resource
envelope of the target config.

CPU: a Lambda sandbox of M MB gets min(M/1769, 6) vCPUs; an instance of V vCPUs gets V cores. The share is
enforced by a cgroup CPU quota where this process may write one (v2 `cpu.max`, v1 `cpu.cfs_quota_us`), else by
CPU affinity with the duration scaled to max(wall, cpu_time / share). Memory: a peak RSS above the configured
memory is an out-of-memory failure, as on Lambda. What this machine cannot hold (more vCPUs than it has, a GPU,
another CPU architecture) is refused as "not emulable here", never faked.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import platform
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from advisor.core import catalog, platforms, settings
from advisor.backends.base import Invocation
from advisor.core.domain import Config
from advisor.core.errors import Infeasible, NotEmulable, TrialFailed
from advisor.workloads import WorkloadSpec

CFS_PERIOD_US = 10_000  # short period: a few-ms invocation is throttled smoothly, not in 100 ms bursts
_MACHINE_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}.get(
    platform.machine().lower(), platform.machine())


def machine_memory_mb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20


def available_cores() -> list[int]:
    return sorted(os.sched_getaffinity(0))


class CpuLimiter:
    """Puts a process under a CPU quota: cgroup v2, cgroup v1, or affinity with CPU-time scaling."""

    def __init__(self) -> None:
        self.mode, self.root = self._detect()
        self._placed = itertools.count()  # processes placed so far: concurrent ones go to different cores

    @staticmethod
    def _detect() -> tuple[str, Path | None]:
        if os.environ.get("ADVISOR_LOCAL_NO_CGROUP"):
            return "affinity", None
        for root in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified")):
            controllers = root / "cgroup.controllers"
            if controllers.exists() and "cpu" in controllers.read_text().split() and os.access(root, os.W_OK):
                return "cgroup-v2", root
        v1 = Path("/sys/fs/cgroup/cpu")
        if (v1 / "cpu.cfs_quota_us").exists() and os.access(v1, os.W_OK):
            return "cgroup-v1", v1
        return "affinity", None

    def apply(self, pid: int, share: float) -> Path | None:
        """Limit PID to SHARE CPUs; return the cgroup made for it (to remove later), if any. Successive processes
        start on successive cores, so several small shares running at once (training workers) spread over the
        machine instead of queueing on its first core beyond their quotas."""
        cores = available_cores()
        width = min(len(cores), max(1, math.ceil(share - 1e-9)))
        first = next(self._placed) * width
        os.sched_setaffinity(pid, [cores[(first + k) % len(cores)] for k in range(width)])
        if self.root is None:
            return None
        group = self.root / "advisor" / f"trial-{uuid.uuid4().hex[:10]}"
        try:
            group.mkdir(parents=True)
            quota = max(1000, int(round(share * CFS_PERIOD_US)))
            if self.mode == "cgroup-v2":
                (group / "cpu.max").write_text(f"{quota} {CFS_PERIOD_US}")
            else:
                (group / "cpu.cfs_period_us").write_text(str(CFS_PERIOD_US))
                (group / "cpu.cfs_quota_us").write_text(str(quota))
            (group / "cgroup.procs").write_text(str(pid))
        except OSError:
            # The hierarchy looked writable but is not for us: fall back for this and later trials.
            self.mode, self.root = "affinity", None
            remove_group(group)
            return None
        return group

    @property
    def method(self) -> str:
        return "local:" + ("cgroup-v2-quota" if self.mode == "cgroup-v2" else
                           "cgroup-v1-quota" if self.mode == "cgroup-v1" else "affinity+cpu-time-scaling")


def remove_group(group: Path | None) -> None:
    if group is not None:
        try:
            group.rmdir()
        except OSError:
            pass


class LocalTarget:
    """One worker process: a Lambda sandbox (one request at a time) or an instance (V concurrent threads)."""

    def __init__(self, model_path: Path | str, config: Config, limiter: CpuLimiter) -> None:
        self.config = config
        self.share = platforms.vcpus(config)
        self.memory_limit_mb = platforms.memory_mb(config)
        self.threads = 1 if config.is_memory_sized else int(self.share)
        env = dict(os.environ, OMP_NUM_THREADS=str(max(1, math.ceil(self.share))), TF_CPP_MIN_LOG_LEVEL="2")
        self._ids = itertools.count()
        self._pending: dict[int, tuple[Future, float]] = {}
        self._lock = threading.Lock()
        self._clock = time.perf_counter
        started = self._clock()
        self._proc = subprocess.Popen([sys.executable, "-m", "advisor.workloads.worker", str(model_path),
                                       "--threads", str(self.threads)], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, bufsize=1)
        self._group: Path | None = None
        try:  # an interrupt from here on (Ctrl-C while the worker starts) must not leave the worker or its cgroup
            self._group = limiter.apply(self._proc.pid, self.share)
            self.scaled = self._group is None and self.share < len(available_cores()) and config.is_memory_sized
            self.method = limiter.method
            self.oom_at_init = False
            watchdog = threading.Thread(target=self._watch_init_memory, daemon=True)
            watchdog.start()
            ready = self._proc.stdout.readline() if self._proc.stdout else ""
            self._initialising = False
        except BaseException:
            self._proc.kill()
            self.close()
            raise
        if self.oom_at_init:
            self.close()
            raise Infeasible(f"out of memory during init: over {self.memory_limit_mb:.0f} MB "
                             "configured", hint="a larger memory size is needed")
        if not ready:
            err = self._proc.stderr.read()[-2000:] if self._proc.stderr else ""
            self.close()
            raise TrialFailed(f"the trial worker for {config.key} exited before it was ready",
                              hint="run `advisor profile` with ADVISOR_LOG_LEVEL=DEBUG; worker said: " + err.strip())
        info = json.loads(ready)
        self.init_ms = (self._clock() - started) * 1000.0
        self.init_rss_mb = float(info["rss_mb"])
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    _initialising = True

    def _watch_init_memory(self) -> None:
        """As Lambda does, end a sandbox whose memory passes its limit while it starts."""
        status = Path(f"/proc/{self._proc.pid}/status")
        while self._initialising and self._proc.poll() is None:
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmRSS:") and int(line.split()[1]) / 1024.0 > self.memory_limit_mb:
                        self.oom_at_init = True
                        self._proc.kill()
                        return
            except (OSError, ValueError):
                return
            time.sleep(0.05)

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            done = self._clock()
            msg = json.loads(line)
            with self._lock:
                future, sent = self._pending.pop(msg["id"], (None, 0.0))
            if future is None:
                continue
            duration = msg["wall_ms"]
            if self.scaled:
                duration = max(duration, msg["cpu_ms"] / self.share)
            latency = (done - sent) * 1000.0 + (duration - msg["wall_ms"])
            error = msg["error"]
            if msg["rss_mb"] > self.memory_limit_mb and error is None:
                error = f"out of memory: peak {msg['rss_mb']:.0f} MB > {self.memory_limit_mb:.0f} MB configured"
            future.set_result(Invocation(duration, latency, msg["rss_mb"], error))
        with self._lock:  # the worker died: fail what is still waiting
            for future, _ in self._pending.values():
                future.set_result(Invocation(0.0, 0.0, None, "the worker process exited"))
            self._pending.clear()

    def submit(self, payload: Any) -> Future:
        future: Future = Future()
        request_id = next(self._ids)
        line = json.dumps({"id": request_id, "payload": payload}) + "\n"
        with self._lock:
            self._pending[request_id] = (future, self._clock())
        try:
            assert self._proc.stdin is not None
            self._proc.stdin.write(line)
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError):
            with self._lock:
                self._pending.pop(request_id, None)
            future.set_result(Invocation(0.0, 0.0, None, "the worker process exited"))
        return future

    def close(self) -> None:
        try:
            if self._proc.stdin:
                self._proc.stdin.close()
            self._proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self._proc.kill()
            self._proc.wait()
        remove_group(getattr(self, "_group", None))


class LocalBackend:
    name = "local"
    live = True  # runs trials (replay answers them from measurements)
    runs_own_trials = False  # its targets are driven by the profilers
    costs_money = False

    def default_platforms(self) -> tuple[str, ...] | None:
        return None  # the default grid's

    def estimated_usd(self, configs: list[Config], invocations: int, timeout_s: float | None = None) -> float:
        return 0.0  # emulated on this machine

    def __init__(self, data_dir: str | None = None) -> None:
        self.data_dir = Path(data_dir or settings.get("DATA_DIR"))
        self.limiter = CpuLimiter()

    @property
    def method(self) -> str:
        return self.limiter.method

    def check(self, config: Config) -> str | None:
        cores = len(available_cores())
        profiler = platforms.of(config).local_profiler
        if profiler is None:
            return f"not emulable here: {config.platform} configs are recommend-only"
        if profiler == "training":
            return "training trials run through the training profiler"
        if config.architecture != _MACHINE_ARCH:
            return f"not emulable here: {config.architecture} (this machine is {_MACHINE_ARCH})"
        if platforms.of(config).processor(config) != "cpu":
            itype = catalog.instance_type(config.instance_type or "")
            return f"not emulable here: {itype.gpu or itype.accelerator} (this machine has no accelerator)"
        need = platforms.vcpus(config)
        if need > cores + 1e-9:
            return f"not emulable here: needs {need:.2f} vCPUs, this machine has {cores}"
        if platforms.memory_mb(config) > machine_memory_mb():
            return f"not emulable here: needs {platforms.memory_mb(config):.0f} MB, this machine has {machine_memory_mb():.0f} MB"
        return None

    def model_path(self, workload: WorkloadSpec) -> Path | str:
        """Export the workload's model once, in a subprocess so this process never imports TensorFlow; a user's
        model is its stored copy; a small program (params "program") is named instead, for the worker to run."""
        if workload.params.get("model"):
            return self.data_dir / workload.params["model"]["file"]
        if workload.params.get("program"):
            from advisor.workloads.programs import as_model_path

            return as_model_path(workload.params)
        directory = self.data_dir / "models"
        code = ("import json,sys; from pathlib import Path; from advisor.workloads import WorkloadSpec; "
                "from advisor.workloads.ncf import export; "
                "print(export(WorkloadSpec.from_dict(json.loads(sys.argv[1])), Path(sys.argv[2])))")
        done = subprocess.run([sys.executable, "-c", code, json.dumps(workload.to_dict()), str(directory)],
                              capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
        if done.returncode != 0:
            missing = "No module named 'tensorflow'" in done.stderr
            raise TrialFailed(f"could not build the model of {workload.id}",
                              hint="install the tf extra: pip install -e '.[tf]'" if missing
                              else done.stderr.strip()[-800:])
        return Path(done.stdout.strip().splitlines()[-1])

    def start(self, workload: WorkloadSpec, config: Config, model_path: Path | str | None = None) -> LocalTarget:
        reason = self.check(config)
        if reason:
            raise NotEmulable(f"{config.key}: {reason}", hint="the model predicts it from other profiles instead")
        return LocalTarget(model_path or self.model_path(workload), config, self.limiter)
