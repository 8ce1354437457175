"""The backend protocol: start a target (a sandbox, an endpoint) for a config, invoke it, close it."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

from advisor.core.domain import Config
from advisor.workloads import WorkloadSpec


@dataclass(frozen=True)
class Invocation:
    """One request as the target saw it (duration_ms: what the platform bills) and as the client saw it."""

    duration_ms: float
    latency_ms: float
    max_memory_used_mb: float | None = None
    error: str | None = None


class Target(Protocol):
    """A running deployment of one config: a Lambda sandbox, an endpoint instance."""

    method: str  # how it is measured, recorded on every profile
    init_ms: float  # cold start: from nothing to ready to serve
    memory_limit_mb: float

    def submit(self, payload: Any) -> "Future[Invocation]": ...

    def close(self) -> None: ...


class Backend(Protocol):
    name: str

    def check(self, config: Config) -> str | None:
        """None when this backend can run CONFIG faithfully, else why not (e.g. 'not emulable here: ...')."""

    def start(self, workload: WorkloadSpec, config: Config) -> Target: ...
