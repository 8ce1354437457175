"""The cost formulas: one function per platform, pure arithmetic, no I/O.

Every place in the project that prices something calls one of these. Prices come in as plain numbers (USD),
so the formulas can be checked against hand computations.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

MS_PER_HOUR = 3_600_000.0
MB_PER_GB = 1024.0  # Lambda's GB-second is memory_mb / 1024


@dataclass(frozen=True)
class Cost:
    """What a configuration costs, in the units the user asked about."""

    usd_per_hour: float
    usd_per_1k_requests: float | None
    usd_per_month: float
    usd_total: float | None = None  # training: the whole run
    breakdown: tuple[tuple[str, float], ...] = ()

    def to_dict(self) -> dict:
        data = asdict(self)
        data["breakdown"] = dict(self.breakdown)
        return data


def lambda_request_usd(duration_ms: float, memory_mb: float, usd_per_gb_second: float,
                       usd_per_request: float) -> float:
    """One Lambda invocation: ceil(duration_ms)/1000 x memory_mb/1024 x price per GB-s + price per request."""
    return math.ceil(duration_ms) / 1000.0 * memory_mb / MB_PER_GB * usd_per_gb_second + usd_per_request


def lambda_concurrency(duration_ms: float, rps: float) -> float:
    """Little's law: the sandboxes busy at once for RPS requests of DURATION_MS each."""
    return rps * duration_ms / 1000.0


def lambda_inference(duration_ms: float, memory_mb: float, rps: float, usd_per_gb_second: float,
                     usd_per_request: float, hours_per_month: float) -> Cost:
    """Lambda serving RPS requests a second, each billed for DURATION_MS (the mean warm duration)."""
    per_request = lambda_request_usd(duration_ms, memory_mb, usd_per_gb_second, usd_per_request)
    per_hour = per_request * rps * 3600.0
    return Cost(per_hour, per_request * 1000.0, per_hour * hours_per_month,
                breakdown=(("duration", per_hour - usd_per_request * rps * 3600.0),
                           ("requests", usd_per_request * rps * 3600.0)))


def instances_needed(rps: float, capacity_rps_per_instance: float) -> int:
    """How many instances carry RPS when one carries CAPACITY within the SLA (at least one)."""
    if capacity_rps_per_instance <= 0:
        return math.inf  # type: ignore[return-value]
    return max(1, math.ceil(rps / capacity_rps_per_instance - 1e-9))


def data_processing_usd_per_hour(rps: float, bytes_per_request: float, usd_per_gb: float) -> float:
    """SageMaker's per-GB data processing charge for RPS requests of BYTES_PER_REQUEST (in plus out)."""
    return rps * 3600.0 * bytes_per_request / 1e9 * usd_per_gb


def sagemaker_realtime(instance_count: int, usd_per_instance_hour: float, rps: float | None,
                       hours_per_month: float, bytes_per_request: float = 0.0, usd_per_gb_processed: float = 0.0) -> Cost:
    """A real-time endpoint: instances are paid every hour whether busy or not, plus data processed."""
    instances = instance_count * usd_per_instance_hour
    data = data_processing_usd_per_hour(rps or 0.0, bytes_per_request, usd_per_gb_processed)
    per_hour = instances + data
    per_1k = per_hour / (rps * 3.6) if rps else None
    return Cost(per_hour, per_1k, per_hour * hours_per_month,
                breakdown=(("instances", instances), ("data_processing", data)))


def serverless_inference(duration_ms: float, memory_mb: float, rps: float, usd_per_gb_second: float,
                         hours_per_month: float, bytes_per_request: float = 0.0, usd_per_gb_processed: float = 0.0) -> Cost:
    """SageMaker Serverless Inference: GB-seconds of compute (1 ms billing) plus data processed."""
    compute_per_request = math.ceil(duration_ms) / 1000.0 * memory_mb / MB_PER_GB * usd_per_gb_second
    data_per_request = bytes_per_request / 1e9 * usd_per_gb_processed
    per_request = compute_per_request + data_per_request
    per_hour = per_request * rps * 3600.0
    return Cost(per_hour, per_request * 1000.0, per_hour * hours_per_month,
                breakdown=(("compute", compute_per_request * rps * 3600.0),
                           ("data_processing", data_per_request * rps * 3600.0)))


def training_on_instances(instance_count: int, usd_per_instance_hour: float, duration_ms: float) -> Cost:
    """A training run on instances: count x hourly price x hours (billed per second)."""
    per_hour = instance_count * usd_per_instance_hour
    total = per_hour * math.ceil(duration_ms / 1000.0) / 3600.0
    return Cost(per_hour, None, total, usd_total=total, breakdown=(("instances", total),))


def training_on_lambda(workers: int, memory_mb: float, duration_ms: float, invocations_per_worker: int,
                       usd_per_gb_second: float, usd_per_request: float, channel_request_usd: float = 0.0,
                       channel_node_usd_per_hour: float = 0.0) -> Cost:
    """Serverless training: every worker's GB-seconds and requests, the channel's requests, its nodes' hours. A node
    (ElastiCache on demand) is billed per node-hour started: a 10-minute run pays a whole hour."""
    compute = workers * math.ceil(duration_ms) / 1000.0 * memory_mb / MB_PER_GB * usd_per_gb_second
    requests = workers * invocations_per_worker * usd_per_request
    nodes = channel_node_usd_per_hour * math.ceil(duration_ms / MS_PER_HOUR - 1e-9)
    total = compute + requests + channel_request_usd + nodes
    hours = duration_ms / MS_PER_HOUR
    return Cost(total / hours if hours else 0.0, None, total, usd_total=total,
                breakdown=(("lambda_compute", compute), ("lambda_requests", requests),
                           ("channel_requests", channel_request_usd), ("channel_nodes", nodes)))


def channel_usd(channel: str, puts: float, gets: float, write_units: float, read_units: float, s3_put: float,
                s3_get: float, dynamodb_write_unit: float, dynamodb_read_unit: float) -> float:
    """The request charges of a gradient channel: S3 per request, DynamoDB per capacity unit (1 KB written,
    4 KB read), Memcached none (it is paid by node-hours instead)."""
    if channel == "s3":
        return puts * s3_put + gets * s3_get
    if channel == "dynamodb":
        return write_units * dynamodb_write_unit + read_units * dynamodb_read_unit
    return 0.0
