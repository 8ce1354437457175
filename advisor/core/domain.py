"""Frozen value objects shared by every layer. No I/O here."""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from advisor.core import platforms
from advisor.core.errors import BadInput

CHANNELS = ("s3", "dynamodb", "memcached")  # gradient channels of serverless training
ARCHITECTURES = ("x86_64", "arm64")


@dataclass(frozen=True, order=True)
class Config:
    """One deployable configuration. Memory platforms use memory_mb; instance platforms instance_type/count."""

    platform: str
    memory_mb: int | None = None
    instance_type: str | None = None
    instance_count: int = 1  # lambda-training: the number of workers
    architecture: str = "x86_64"
    channel: str | None = None  # lambda-training: what the workers exchange gradients through

    def __post_init__(self) -> None:
        platform = platforms.get(self.platform)
        if self.architecture not in ARCHITECTURES:
            raise BadInput(f"unknown architecture {self.architecture!r}", hint="x86_64 or arm64",
                           fields={"architecture": "unknown"})
        if platform.memory_sized:
            if self.memory_mb is None:
                raise BadInput(f"{self.platform} needs memory_mb", hint="e.g. memory_mb 1024",
                               fields={"memory_mb": "required"})
        elif not self.instance_type:
            raise BadInput(f"{self.platform} needs instance_type", hint="e.g. instance_type ml.c5.large",
                           fields={"instance_type": "required"})
        if self.instance_count < 1:
            raise BadInput("instance_count must be at least 1", hint="omit it for one instance",
                           fields={"instance_count": "must be >= 1"})
        if self.channel is not None and self.channel not in platform.channels:
            raise BadInput(f"channel {self.channel!r} does not fit {self.platform}"
                           + (": one of " + ", ".join(platform.channels) if platform.channels else ""),
                           hint="a channel is for serverless training's workers; omit it otherwise",
                           fields={"channel": "invalid"})

    @property
    def is_memory_sized(self) -> bool:
        return platforms.get(self.platform).memory_sized

    @cached_property
    def key(self) -> str:
        """A stable, readable identifier, e.g. 'lambda/1024MB/arm64' or 'sagemaker-realtime/ml.c5.large x2'."""
        if self.channel:
            return f"{self.platform}/{self.memory_mb}MB/{self.architecture} x{self.instance_count} via {self.channel}"
        if self.is_memory_sized:
            return f"{self.platform}/{self.memory_mb}MB/{self.architecture}"
        return f"{self.platform}/{self.instance_type} x{self.instance_count}"

    @property
    def shape(self) -> "Config":
        """The same config with one instance: what a trial measures before scaling out."""
        if (self.is_memory_sized and not self.channel) or self.instance_count == 1:
            return self
        return Config(self.platform, self.memory_mb, self.instance_type, 1, self.architecture)

    def to_dict(self) -> dict[str, Any]:
        data = {"platform": self.platform, "memory_mb": self.memory_mb, "instance_type": self.instance_type,
                "instance_count": self.instance_count, "architecture": self.architecture}
        if self.channel:
            data["channel"] = self.channel
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Config":
        try:
            memory = data.get("memory_mb")
            return cls(platform=str(data["platform"]),
                       memory_mb=int(memory) if memory not in (None, "") else None,
                       instance_type=data.get("instance_type") or None,
                       instance_count=int(data.get("instance_count") or 1),
                       architecture=str(data.get("architecture") or "x86_64"),
                       channel=data.get("channel") or None)
        except KeyError as exc:
            raise BadInput(f"config needs {exc.args[0]}", hint='e.g. {"platform": "lambda", "memory_mb": 1024}',
                           fields={exc.args[0]: "required"}) from exc
        except (TypeError, ValueError) as exc:
            raise BadInput(f"bad config {data!r}: {exc}", hint="memory_mb and instance_count are whole numbers",
                           fields={"config": "invalid"}) from exc


_UNITS_MS = {"ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_SLA_RE = re.compile(r"^\s*(?:p(?P<pct>\d+(?:\.\d+)?)|(?P<deadline>deadline))\s*<=\s*"
                     r"(?P<value>-?\d+(?:\.\d+)?|-?\.\d+)\s*(?P<unit>ms|s|m|h)\s*$", re.IGNORECASE)
SLA_HINT = "write it as pNN<=VALUE or deadline<=VALUE with a unit ms, s, m or h, e.g. 'p95<=250ms' or 'deadline<=2h'"


@dataclass(frozen=True)
class SLA:
    """A latency percentile bound (at a throughput) or a training deadline."""

    kind: str  # "latency" or "deadline"
    limit_ms: float
    percentile: float | None = None
    rps: float | None = None
    text: str = ""

    @classmethod
    def parse(cls, text: str, rps: float | None = None) -> "SLA":
        match = _SLA_RE.match(text or "")
        if not match:
            raise BadInput(f"cannot parse SLA {text!r}", hint=SLA_HINT, fields={"sla": "unparseable"})
        value = float(match["value"]) * _UNITS_MS[match["unit"].lower()]
        if not math.isfinite(value):
            raise BadInput(f"SLA bound is too large to be a number, got {text[:40]!r}", hint=SLA_HINT,
                           fields={"sla": "not finite"})
        if value <= 0:
            raise BadInput(f"SLA bound must be positive, got {text!r}", hint=SLA_HINT, fields={"sla": "not positive"})
        if rps is not None and rps <= 0:
            raise BadInput(f"rps must be positive, got {rps}", hint="e.g. --rps 40", fields={"rps": "not positive"})
        if match["deadline"]:
            return cls(kind="deadline", limit_ms=value, text=text.strip())
        pct = float(match["pct"])
        if not 50 <= pct <= 99.9:
            raise BadInput(f"percentile p{match['pct']} is outside 50..99.9", hint=SLA_HINT,
                           fields={"sla": "percentile out of range"})
        return cls(kind="latency", limit_ms=value, percentile=pct, rps=rps, text=text.strip())

    def at(self, rps: float) -> "SLA":
        """The same bound at another throughput (one traffic level or phase)."""
        return dataclasses.replace(self, rps=rps)

    @property
    def metric(self) -> str:
        """The metric name the SLA bounds: 'p95_ms' or 'duration_ms'."""
        if self.kind == "deadline":
            return "duration_ms"
        pct = f"{self.percentile:g}".replace(".", "_")
        return f"p{pct}_ms"

    def met_by(self, value_ms: float) -> bool:
        """The one SLA check used everywhere."""
        return value_ms <= self.limit_ms

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "limit_ms": self.limit_ms, "percentile": self.percentile, "rps": self.rps,
                "text": self.text}


@dataclass(frozen=True)
class Measurement:
    """One invocation (inference) or one run (training)."""

    duration_ms: float
    billed_duration_ms: float | None = None
    init_duration_ms: float | None = None
    max_memory_used_mb: float | None = None
    cold: bool = False
    failed: bool = False
    concurrency: int | None = None
    rps: float | None = None


@dataclass(frozen=True)
class Profile:
    """What a trial of one config measured, and how."""

    workload: str
    config: Config
    method: str  # e.g. "local:cgroup-quota", "local:cpu-time-scaling", "replay", "aws"
    summary: dict[str, float]  # p50_ms, p95_ms, ..., cold_start_ms, capacity_rps, errors
    measurements: tuple[Measurement, ...] = field(default=(), repr=False)
    feasible: bool = True
    note: str = ""


@dataclass(frozen=True)
class Prediction:
    """A predicted metric with its interval at the model's stated coverage."""

    value: float
    low: float
    high: float
    extrapolated: bool = False
    basis: str = ""
