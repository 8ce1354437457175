"""Training recommendations: SageMaker training instances against Lambda workers, for a deadline.

Everything is extrapolated from training slices (profilers/training.py): the step time at a config's CPU share
and, for Lambda, the analytical model of the exchange (recommender/serverless_model.py) over each probed channel.
A candidate meets the deadline when the upper end of its predicted duration does; the cheapest such is chosen.

Measured runs (`advisor train`) correct the Lambda model: each run's iteration time over the model's prediction for
its own config is a ratio, and every Lambda candidate exchanging through the same channel (or none, for one worker)
is scaled by the geometric mean of that channel's ratios. A run measures the exchange as well as the compute, which
the slices take apart, so its ratio is applied per channel, never carried to another one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from advisor.core import costs, platforms
from advisor.core.platforms import Unpriced
from advisor.core.domain import CHANNELS, SLA, Config, Prediction, Profile
from advisor.core.prices import PriceTable
from advisor.workloads.serverless_training.sync import COMPRESSIONS, OPTIMIZED
from recommender import serverless_model
from recommender.search import Evaluated, SearchResult

WORKER_COUNTS = (1, 2, 4, 8, 16, 32)
# How far one slice's prediction of the optimized runtime missed the measured iteration, the largest over every
# channel and repeat of benchmarks/serverless_training.py (README): a prediction p is given the interval
# [p / (1 + e), p * (1 + e)], a factor either way. A recommendation rests on one slice, so the repeats' spread,
# not the error of their medians, is what it must cover.
LAMBDA_MODEL_ERROR = 0.98
# ElastiCache node memory (GiB), from AWS's node-type table; only the types our price tables price.
CACHE_NODES = (("cache.t3.micro", 0.5), ("cache.t3.small", 1.37), ("cache.t3.medium", 3.09))


@dataclass(frozen=True)
class TrainingJob:
    samples: int  # per epoch
    epochs: float
    batch_size: int  # per worker; a slice's own figure wins
    gradient_bytes: int  # likewise

    def iterations(self, workers: int, batch: int) -> int:
        return math.ceil(self.epochs * serverless_model.iterations_per_epoch(self.samples, workers, batch))


def _unpriced(prices: PriceTable, key: str) -> str:
    return f"unpriced: the {prices.region} price table (as of {prices.as_of}) has no sourced price for {key}"


def _too_slow(sla: SLA, duration: Prediction) -> str | None:
    if sla.met_by(duration.high):
        return None
    return (f"predicted {duration.value / 3.6e6:.2f} h (up to {duration.high / 3.6e6:.2f} h) > deadline "
            f"{sla.limit_ms / 3.6e6:.2f} h")


def on_instances(profile: Profile, job: TrainingJob, sla: SLA, prices: PriceTable) -> Evaluated:
    """One instance training alone: iterations x the slice's step time (interval from its 10th to 90th
    percentile step, as if every step were that fast or slow)."""
    ev = Evaluated(profile.config)
    s = profile.summary
    iterations = job.iterations(profile.config.instance_count, int(s.get("batch_size", job.batch_size)))
    step = s["step_ms"]
    duration = Prediction(iterations * step, iterations * s.get("step_p10_ms", step), iterations * s.get("step_p90_ms", step),
                          basis=f"{iterations} steps x the slice's step time ({profile.method})")
    ev.predicted["duration_ms"] = duration
    ev.reach = duration.high
    platform = platforms.of(profile.config)
    hourly = platform.hourly_usd(profile.config, prices)
    if hourly is None:
        ev.reason = _unpriced(prices, platform.price_key(profile.config, prices))
        return ev
    ev.cost = costs.training_on_instances(profile.config.instance_count, hourly, duration.value)
    ev.reason = _too_slow(sla, duration)
    return ev


@dataclass(frozen=True)
class MeasuredRun:
    """A training run's measured iteration (a worker's whole step: compute, exchange and wait), median of its steps."""

    run: str
    config: Config
    iteration_ms: float


@dataclass(frozen=True)
class Calibration:
    factor: float = 1.0
    runs: tuple[str, ...] = ()

    @property
    def note(self) -> str:
        return (f"; x {self.factor:.2f} from {len(self.runs)} measured run(s) on this channel ({', '.join(self.runs)})"
                if self.runs else "")


def on_lambda(profile: Profile, workers: int, channel: str | None, job: TrainingJob, sla: SLA,
              prices: PriceTable, calibration: Calibration = Calibration()) -> Evaluated:
    """WORKERS Lambda workers of the slice's memory exchanging through CHANNEL (none for one worker), the model's
    step scaled by CALIBRATION."""
    from recommender.serverless_fit import channels_in, sparsity_in

    s = profile.summary
    config = Config(profile.config.platform, profile.config.memory_mb, None, workers, profile.config.architecture, channel)
    ev = Evaluated(config)
    params, timed = None, s  # timed: where a step's compute comes from
    if channel is not None:
        probed = channels_in(s).get(channel)
        if probed is None:
            ev.reason = (f"no basis: the {channel} channel was not probed by this slice (set "
                         f"ADVISOR_TRAINING_CHANNELS and profile again)")
            return ev
        params = serverless_model.ChannelParams.from_dict(probed)
        if "step_ms" in probed:  # as the slice timed it between naive exchanges through the channel
            timed = probed
    sync, step = serverless_model.tune(timed["step_ms"] / 1000, timed.get("step_sd_ms", 0.0) / 1000,
                                       params or _NO_CHANNEL, workers, int(s.get("gradient_bytes", job.gradient_bytes)),
                                       OPTIMIZED, shared_server=channel == "memcached", density=sparsity_in(s),
                                       compressions=COMPRESSIONS, prepare_s=s.get("batch_ms", 0.0) / 1000)
    iterations = job.iterations(workers, int(s.get("batch_size", job.batch_size)))
    step_s = step.seconds * calibration.factor
    seconds, invocations = serverless_model.run_seconds(step_s, iterations, s.get("restart_ms", 0.0) / 1000)
    duration = _within_model_error(seconds * 1000, basis=(
        f"{iterations} iterations x {step_s * 1000:.0f} ms (compute {step.compute_s * 1000:.0f}, exchange "
        f"{step.exchange_s * 1000:.0f}, wait {step.wait_s * 1000:.0f}"
        f"{f'; {sync.segments} segment(s), {sync.compress}' if channel else ''}{calibration.note}), "
        f"{invocations} invocation(s) per worker; within a factor {1 + LAMBDA_MODEL_ERROR:.2f} (the model's "
        f"measured error)"))
    ev.predicted["duration_ms"] = duration
    ev.predicted["iteration_ms"] = _within_model_error(step_s * 1000, basis="compute + gradient exchange + "
                                                       "wait for the slowest worker" + calibration.note)
    ev.reach = duration.high
    try:
        gbs, req = platforms.of(config).unit_prices(config, prices)
    except Unpriced as missing:
        ev.reason = _unpriced(prices, missing.key)
        return ev
    request_usd, node_hourly, reason = _channel_costs(channel, step.exchange, workers, prices)
    if reason:
        ev.reason = reason
        return ev
    ev.cost = costs.training_on_lambda(workers, config.memory_mb or 0, duration.value, invocations, gbs, req,
                                       request_usd * iterations, node_hourly)
    ev.reason = _too_slow(sla, duration)
    return ev


_NO_CHANNEL = serverless_model.ChannelParams(0.0, math.inf, 1)


def _within_model_error(value: float, basis: str) -> Prediction:
    return Prediction(value, value / (1 + LAMBDA_MODEL_ERROR), value * (1 + LAMBDA_MODEL_ERROR), basis=basis)


CHANNEL_PRICE_KEYS = {"s3_put": "s3.put_request", "s3_get": "s3.get_request",
                      "dynamodb_write_unit": "dynamodb.write_unit", "dynamodb_read_unit": "dynamodb.read_unit"}


def channel_unit_prices(prices: PriceTable) -> dict[str, float | None]:
    """The unit prices costs.channel_usd takes, from PRICES (None where the table has no sourced price)."""
    return {arg: prices.usd(key) for arg, key in CHANNEL_PRICE_KEYS.items()}


def _channel_costs(channel: str | None, ex: serverless_model.Exchange, workers: int,
                   prices: PriceTable) -> tuple[float, float, str | None]:
    """(USD of the channel's requests per iteration, USD per hour of its nodes, why it cannot be priced)."""
    if channel is None:
        return 0.0, 0.0, None
    if channel == "memcached":
        needed_gib = 2 * ex.bytes_moved / 2**30  # two steps of keys alive at once, at most
        for node, gib in CACHE_NODES:
            if gib >= needed_gib:
                hourly = prices.usd(f"elasticache.{node}")
                return (0.0, hourly, None) if hourly is not None else (0.0, 0.0, _unpriced(prices, node))
        return 0.0, 0.0, f"needs {needed_gib:.1f} GiB of cache, more than the priced node types hold"
    unit = channel_unit_prices(prices)
    missing = [CHANNEL_PRICE_KEYS[k] for k, v in unit.items() if v is None and k.startswith(channel)]
    if missing:
        return 0.0, 0.0, _unpriced(prices, missing[0])
    write_units = ex.puts * math.ceil(ex.item_bytes / 1024)
    read_units = (ex.gets - ex.misses) * math.ceil(ex.item_bytes / 4096) + ex.misses  # a miss: the minimum unit
    usd = costs.channel_usd(channel, ex.puts, ex.gets, write_units, read_units,
                            **{k: (v or 0.0) for k, v in unit.items()})
    return usd, 0.0, None


def calibrations(runs: list[MeasuredRun], slices: list[Profile], job: TrainingJob, sla: SLA,
                 prices: PriceTable) -> dict[str | None, Calibration]:
    """Per channel (None: one worker), the geometric mean of its runs' measured over predicted iteration. A run whose
    memory size has no slice has no prediction to compare with, and is left out."""
    by_memory = {(p.config.memory_mb, p.config.architecture): p for p in slices
                 if platforms.of(p.config).training == "lambda-workers"}
    ratios: dict[str | None, list[tuple[str, float]]] = {}
    for run in runs:
        profile = by_memory.get((run.config.memory_mb, run.config.architecture))
        if profile is None or run.iteration_ms <= 0:
            continue
        channel = run.config.channel if run.config.instance_count > 1 else None
        predicted = on_lambda(profile, run.config.instance_count, channel, job, sla, prices).predicted
        if "iteration_ms" in predicted:
            ratios.setdefault(channel, []).append((run.run, run.iteration_ms / predicted["iteration_ms"].value))
    return {channel: Calibration(math.exp(sum(math.log(r) for _, r in found) / len(found)),
                                 tuple(name for name, _ in found)) for channel, found in ratios.items()}


def training_slices(profiles: list[Profile]) -> list[Profile]:
    return [p for p in profiles if p.feasible and "step_ms" in p.summary]


def recommend_training(profiles: list[Profile], sla: SLA, job: TrainingJob, prices: PriceTable,
                       channels: tuple[str, ...] = CHANNELS,
                       corrected: dict[str | None, Calibration] | None = None) -> SearchResult:
    """Every candidate the slices support, predicted (Lambda's corrected per channel by measured runs: see
    `calibrations`), priced and checked against the deadline."""
    considered: list[Evaluated] = []
    slices = training_slices(profiles)
    corrected = corrected or {}
    for profile in slices:
        runs_on = platforms.of(profile.config).training
        if runs_on == "instances":
            considered.append(on_instances(profile, job, sla, prices))
        elif runs_on == "lambda-workers":
            for workers in WORKER_COUNTS:
                for channel in ((None,) if workers == 1 else channels):
                    considered.append(on_lambda(profile, workers, channel, job, sla, prices,
                                                corrected.get(channel, Calibration())))
    measured = {p.config.shape for p in slices}
    on_instances_platforms = tuple(n for n in platforms.names("training") if platforms.get(n).training == "instances")
    for config in platforms.candidates(on_instances_platforms):
        if config not in measured:
            ev = Evaluated(config)
            ev.reason = "no basis: no training slice of this type (profile it; more vCPUs than this machine has " \
                        "need the aws backend)"
            considered.append(ev)
    return SearchResult(sla, 0.0, considered)
