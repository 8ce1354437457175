"""What a platform is to the rest of the advisor: the small interface every platform module fills in (the shared
shapes are in `shapes`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from advisor.core.errors import BadInput

if TYPE_CHECKING:
    from advisor.core.costs import Cost
    from advisor.core.prices import PriceTable


class Config(Protocol):
    """What a platform reads of a config (advisor.core.domain.Config, which validates itself through the
    registry, so the registry does not import it)."""

    platform: str
    memory_mb: int | None
    instance_type: str | None
    instance_count: int
    architecture: str


@dataclass(frozen=True)
class Footprint:
    """What a workload brings to a platform's limits: its model's size on disk, one request's size, and how it is
    packaged for Lambda ("zip" or "image"). Zero: not known (the reference workloads)."""

    model_bytes: int = 0
    request_bytes: int = 0
    lambda_package: str = "zip"


def _megabytes(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


class Unpriced(Exception):
    """The price table has no sourced price under KEY."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class Platform:
    """One platform. Attributes say what the rest of the advisor may do with it; methods do the arithmetic."""

    name: str = ""
    kind: str = "inference"  # or "training": which SLA it answers (a latency percentile or a deadline)
    memory_sized: bool = False  # sized by memory_mb (else by instance_type and instance_count)
    channels: tuple[str, ...] = ()  # gradient channels its workers exchange through
    serving: str | None = None  # how the search serves it from profiles: "per-request", "instances" or None
    training: str | None = None  # how a training recommendation runs it: "instances", "lambda-workers" or None
    deploy_target: str | None = None  # what `advisor deploy` plans: a Lambda "function", a SageMaker "endpoint", None
    aws_trials: str | None = None  # the AWS trial runner: "function", "endpoint", "training-job" or None
    explorable: bool = False  # the adaptive profiling strategy can explore its sizes
    local_profiler: str | None = "inference"  # which local profiler measures it: "inference", "training" or None
    example: str = ""  # how a config of it is spelt on the command line
    trial_timeout_s: int | None = None  # the longest one AWS trial runs (an invocation, a training slice)
    concurrency_limit: tuple[int, str] | None = None  # per-request serving: (most sandboxes at once, whose limit)
    payload_limit: tuple[int, str] | None = None  # (largest request in bytes, whose limit)

    # -- shape -------------------------------------------------------------------------------------------------
    def candidates(self) -> list[Config]:
        return []

    def validate(self, config: Config) -> None:
        """Raise BadInput/NotFound when CONFIG is outside the platform's limits."""

    def vcpus(self, config: Config) -> float:
        raise NotImplementedError

    def memory_mb(self, config: Config) -> float:
        raise NotImplementedError

    def parse(self, value: str, extra: str | None = None) -> Config:
        """A config from its command-line spelling after 'platform:' (e.g. '1024' and 'arm64', or 'ml.c5.large'
        and '2')."""
        raise NotImplementedError

    def processor(self, config: Config) -> str:
        """cpu, gpu or accelerator: which profiles can speak for each other."""
        return "cpu"

    def refuses(self, config: Config, footprint: Footprint) -> str | None:
        """Why CONFIG cannot serve a workload of FOOTPRINT at all (a package or payload limit), or None."""
        if self.payload_limit and footprint.request_bytes > self.payload_limit[0]:
            return (f"a request is {_megabytes(footprint.request_bytes)}, over {self.payload_limit[1]} "
                    f"({_megabytes(self.payload_limit[0])})")
        return None

    def neighbours(self, config: Config) -> list[Config]:
        """CONFIG and the configs beside it worth re-profiling with it (drift checks)."""
        return [config]

    # -- money -------------------------------------------------------------------------------------------------
    def serving_cost(self, config: Config, billed_ms: float, rps: float, prices: "PriceTable",
                     hours_per_month: float, bytes_per_request: float = 0.0) -> "Cost":
        """What serving RPS requests a second costs; raises Unpriced."""
        raise NotImplementedError

    def objective_usd(self, config: Config, metric_ms: float, deadline: bool, rps: float, prices: "PriceTable",
                      hourly_overrides: dict[str, float]) -> float | None:
        """The figure exploration minimises: USD per hour at RPS for a latency SLA, USD per run for a deadline;
        None where no price is known."""
        return None

    def trial_cost_bound(self, config: Config, invocations: int, prices: "PriceTable",
                         timeout_s: float | None = None) -> float:
        """The most an AWS trial of CONFIG can cost (TIMEOUT_S: the longest one invocation of it may run)."""
        raise BadInput(f"{self.name} configs are not profiled on AWS",
                       hint="AWS trials run on lambda, sagemaker-realtime, sagemaker-serverless and sagemaker-training",
                       fields={"platform": "unsupported"})
