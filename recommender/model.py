"""The performance model: from a few profiles of a workload, predict each metric for every candidate, with an
interval, and say when a prediction has no basis or leaves the profiled range.

Memory-sized platforms (Lambda, Serverless Inference): a metric falls with the CPU share s as
    t(s) = a + b / min(s, c)
(a: the part no CPU speeds up; b: CPU work; c: the share beyond which the code cannot use more CPU). a, b >= 0
are fit by least squares on relative errors for each candidate c; beyond the largest profiled share the
interval spans "no further speed-up" to "keeps scaling", so extrapolation is flagged and widened, never assumed.

Instances: a profiled type's capacity (rps within the latency bound) comes from its open-loop load curve;
an unprofiled CPU type of the same architecture scales it by vCPUs, between sqrt and linear scaling (flagged),
times the burstable baseline where there is one. Latency at low load carries over between CPU types.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np

from advisor.core import catalog, platforms
from advisor.core.domain import Config, Prediction, Profile, SLA

SATURATION_CANDIDATES = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)
PRIOR_LOG_SIGMA = 0.10  # relative spread assumed before residuals say otherwise
PRIOR_WEIGHT = 3.0  # in pseudo-observations
CAPACITY_LOG_SIGMA = 0.12  # run-to-run spread of a measured capacity


def _z(confidence: float) -> float:
    """Half-width in sigmas of the central interval holding CONFIDENCE."""
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


@dataclass
class CurveFit:
    """t(s) = a + b / min(s, c), with a log-space residual spread."""

    a: float
    b: float
    c: float
    log_sigma: float
    shares: tuple[float, ...]

    def value(self, share: float, c: float | None = None) -> float:
        return self.a + self.b / min(share, self.c if c is None else c)

    def predict(self, share: float, confidence: float) -> Prediction:
        lo_s, hi_s = min(self.shares), max(self.shares)
        z = _z(confidence)
        mid = self.value(share)
        spread = self.log_sigma
        extrapolated = share < lo_s * 0.999 or share > hi_s * 1.001
        if share > hi_s * 1.001:
            # Past the data: anywhere from no further speed-up (t at the largest share) to ideal scaling.
            pessimistic = self.value(hi_s)
            optimistic = self.a + self.b / min(share, 6.0)
            mid = math.sqrt(pessimistic * max(optimistic, 1e-9))
            return Prediction(mid, optimistic * math.exp(-z * spread), pessimistic * math.exp(z * spread), True,
                              f"extrapolated beyond the largest profiled share ({hi_s:.2f} vCPU)")
        if share < lo_s * 0.999:
            spread *= 1.0 + math.log(lo_s / share)  # the 1/s term dominates down there: widen with distance
        return Prediction(mid, mid * math.exp(-z * spread), mid * math.exp(z * spread), extrapolated,
                          "fit of t = a + b/min(vCPU, c) on profiled sizes")


def fit_curve(shares: list[float], values: list[float]) -> CurveFit:
    from scipy.optimize import nnls  # lazy: scipy only when fitting

    x = np.asarray(shares, dtype=float)
    y = np.asarray(values, dtype=float)
    best: tuple[float, float, float, float] | None = None
    for c in SATURATION_CANDIDATES:
        design = np.column_stack([np.ones_like(x), 1.0 / np.minimum(x, c)]) / y[:, None]
        coef, _ = nnls(design, np.ones_like(y))
        pred = coef[0] + coef[1] / np.minimum(x, c)
        sse = float(np.sum(np.log(np.maximum(pred, 1e-9) / y) ** 2))
        # Prefer the larger c on ties: with no evidence of saturation, do not assume it below the data.
        if best is None or sse < best[0] - 1e-9:
            best = (sse, float(coef[0]), float(coef[1]), c)
    assert best is not None
    sse, a, b, c = best
    dof = max(len(x) - 2, 0)
    sigma = math.sqrt((PRIOR_WEIGHT * PRIOR_LOG_SIGMA**2 + sse) / (PRIOR_WEIGHT + dof))
    if c >= max(x) - 1e-9:
        c = max(SATURATION_CANDIDATES)  # saturation not seen in the data: let extrapolation bound it instead
    return CurveFit(a, b, c, sigma, tuple(sorted(set(shares))))


def capacity_at(profile_summary: dict[str, Any], sla: SLA) -> tuple[float, bool] | None:
    """Highest rps whose latency percentile meets SLA, from a load curve; (capacity, beyond_curve) or None
    when even the lightest load misses it."""
    curve = profile_summary.get("load_curve") or []
    pct = sla.percentile or 95.0
    column = 1 if pct <= 50 else 2 if pct <= 95 else 3 if len(curve[0]) > 4 else 2 if curve else 2
    base_latency = profile_summary.get("p99_ms" if pct > 95 else "p95_ms" if pct > 50 else "p50_ms", math.inf)
    if not sla.met_by(base_latency):
        return None
    prev_rps, prev_lat = 0.0, base_latency
    for row in curve:
        rps, lat, errors = row[0], row[column], row[-1]
        if errors or not sla.met_by(lat):
            if lat == prev_lat or not math.isfinite(lat):
                return prev_rps, False
            frac = (sla.limit_ms - prev_lat) / (lat - prev_lat)
            return prev_rps + max(0.0, min(1.0, frac)) * (rps - prev_rps), False
        prev_rps, prev_lat = rps, lat
    # Every level met the bound: capacity is at least the last level; more was not measured.
    return prev_rps, True


@dataclass
class ModelKind:
    """Which profiles can speak for a candidate: same platform, architecture and processor class."""

    platform: str
    architecture: str
    processor: str  # cpu, gpu, accelerator

    @classmethod
    def of(cls, config: Config) -> "ModelKind":
        return cls(config.platform, config.architecture, platforms.of(config).processor(config))

    def key(self) -> tuple[str, str, str]:
        return (self.platform, self.architecture, self.processor)


@dataclass
class Unpredictable:
    reason: str


@dataclass
class PerformanceModel:
    """Fit once per set of profiles; cheap to query for every candidate."""

    profiles: list[Profile]
    confidence: float = 0.9
    curves: dict[tuple, dict[str, CurveFit]] = field(default_factory=dict)
    failed_at_mb: dict[tuple, tuple[float, str]] = field(default_factory=dict)  # largest failed size, its note
    peak_memory_mb: dict[tuple, float] = field(default_factory=dict)
    instances: dict[tuple, list[Profile]] = field(default_factory=dict)
    # Predictions depend on the profiles only, not on the request: memoized for the model's lifetime.
    _memo: dict[tuple, Any] = field(default_factory=dict, repr=False)

    METRICS = ("p50_ms", "p90_ms", "p95_ms", "p99_ms", "mean_ms", "cold_start_ms")

    @classmethod
    def fit(cls, profiles: list[Profile], confidence: float = 0.9) -> "PerformanceModel":
        model = cls(list(profiles), confidence)
        groups: dict[tuple, list[Profile]] = {}
        for p in profiles:
            kind = ModelKind.of(p.config).key()
            if p.config.is_memory_sized:
                if not p.feasible:
                    size = float(p.config.memory_mb or 0)
                    if size >= model.failed_at_mb.get(kind, (0.0, ""))[0]:
                        model.failed_at_mb[kind] = (size, p.note or "failed")
                    continue
                peak = p.summary.get("max_memory_used_mb")
                if peak and math.isfinite(peak):
                    model.peak_memory_mb[kind] = max(model.peak_memory_mb.get(kind, 0.0), float(peak))
                groups.setdefault(kind, []).append(p)
            elif p.feasible:
                model.instances.setdefault(kind, []).append(p)
        for kind, items in groups.items():
            fits: dict[str, CurveFit] = {}
            for metric in cls.METRICS:
                points = [(platforms.vcpus(p.config), float(p.summary[metric])) for p in items
                          if metric in p.summary and p.summary[metric] and math.isfinite(p.summary[metric])]
                if points:
                    fits[metric] = fit_curve([s for s, _ in points], [v for _, v in points])
            model.curves[kind] = fits
        return model

    def params(self) -> dict[str, Any]:
        """The fitted parameters, for the store and for people: curves per platform, failures, peaks."""
        return {"confidence": self.confidence,
                "curves": {"/".join(k): {m: {"a": f.a, "b": f.b, "c": f.c, "log_sigma": f.log_sigma,
                                             "profiled_vcpus": list(f.shares)} for m, f in fits.items()}
                           for k, fits in self.curves.items()},
                "failed_at_mb": {"/".join(k): v for k, v in self.failed_at_mb.items()},
                "peak_memory_mb": {"/".join(k): v for k, v in self.peak_memory_mb.items()},
                "instance_profiles": {"/".join(k): [p.config.key for p in v] for k, v in self.instances.items()}}

    def describe(self) -> str:
        return ("per-platform fit of t = a + b/min(vCPU, c) for memory-sized platforms; measured capacity "
                f"scaled by vCPUs for instances; central {self.confidence:.0%} intervals")

    # -- memory-sized ---------------------------------------------------------------------------------------
    def predict_memory_sized(self, config: Config, metric: str) -> Prediction | Unpredictable:
        kind = ModelKind.of(config).key()
        memory = float(config.memory_mb or 0)
        failed_size, note = self.failed_at_mb.get(kind, (0.0, ""))
        if memory <= failed_size:
            return Unpredictable(f"infeasible: the trial at {failed_size:.0f} MB failed ({note}); "
                                 "less memory cannot do better")
        peak = self.peak_memory_mb.get(kind)
        if peak and memory < peak:
            return Unpredictable(f"predicted out of memory: {peak:.0f} MB peak measured > {memory:.0f} MB")
        fits = self.curves.get(kind)
        if not fits or metric not in fits:
            return Unpredictable(f"no basis: no {config.platform} {config.architecture} profile of this workload")
        return fits[metric].predict(platforms.vcpus(config), self.confidence)

    # -- instances ------------------------------------------------------------------------------------------
    def _nearest_instance_profile(self, config: Config) -> Profile | None:
        key = ("nearest", config.instance_type, config.platform, config.architecture)
        if key not in self._memo:
            self._memo[key] = self._find_nearest_instance_profile(config)
        return self._memo[key]

    def _find_nearest_instance_profile(self, config: Config) -> Profile | None:
        same = self.instances.get(ModelKind.of(config).key(), [])
        exact = [p for p in same if p.config.instance_type == config.instance_type]
        if exact:
            return exact[-1]
        if not same:
            return None
        want = catalog.instance_type(config.instance_type or "").vcpus
        return min(same, key=lambda p: (abs(math.log(catalog.instance_type(p.config.instance_type or "").vcpus / want)),
                                        -len(p.measurements)))

    def predict_instance(self, config: Config, metric: str) -> Prediction | Unpredictable:
        source = self._nearest_instance_profile(config)
        if source is None:
            kind = ModelKind.of(config)
            return Unpredictable(f"no basis: no {kind.processor.replace('gpu', 'GPU')} {config.architecture} instance profile of "
                                 "this workload" + (" and not emulable here" if kind.processor != "cpu" else ""))
        value = source.summary.get(metric)
        if value is None or not math.isfinite(value):
            return Unpredictable(f"no basis: {metric} not measured")
        z = _z(self.confidence)
        spread = PRIOR_LOG_SIGMA * (1.0 if source.config.instance_type == config.instance_type else 1.5)
        same = source.config.instance_type == config.instance_type
        return Prediction(value, value * math.exp(-z * spread), value * math.exp(z * spread), not same,
                          "measured" if same else f"carried over from {source.config.instance_type}")

    def capacity(self, config: Config, sla: SLA) -> Prediction | Unpredictable:
        """Requests per second one instance of CONFIG carries within SLA."""
        key = ("capacity", config.shape, sla.limit_ms, sla.percentile)
        if key not in self._memo:
            self._memo[key] = self._capacity(config, sla)
        return self._memo[key]

    def _capacity(self, config: Config, sla: SLA) -> Prediction | Unpredictable:
        source = self._nearest_instance_profile(config)
        if source is None:
            return self.predict_instance(config, "p95_ms")  # the no-basis reason
        measured = capacity_at(source.summary, sla)
        if measured is None:
            return Unpredictable(f"misses {sla.text} even at the lightest load (measured on "
                                 f"{source.config.instance_type})")
        cap, beyond = measured
        src_type = catalog.instance_type(source.config.instance_type or "")
        dst_type = catalog.instance_type(config.instance_type or "")
        ratio = dst_type.vcpus / src_type.vcpus
        baseline = dst_type.baseline_cpu or 1.0
        z = _z(self.confidence)
        lo_ratio, hi_ratio = (math.sqrt(ratio), ratio) if ratio >= 1 else (ratio, math.sqrt(ratio))
        mid = cap * math.sqrt(lo_ratio * hi_ratio) * baseline
        low = cap * lo_ratio * baseline * math.exp(-z * CAPACITY_LOG_SIGMA)
        high = cap * hi_ratio * baseline * math.exp(z * CAPACITY_LOG_SIGMA)
        notes = []
        if ratio != 1:
            notes.append(f"scaled from {src_type.sagemaker_name} by vCPUs")
        if dst_type.baseline_cpu:
            notes.append(f"burstable: sustained at its {dst_type.baseline_cpu:.0%} CPU baseline")
        if beyond:
            notes.append("at least this: every load level measured met the bound")
        return Prediction(mid, low, high, ratio != 1, "; ".join(notes) or "measured")

    def predict(self, config: Config, metric: str) -> Prediction | Unpredictable:
        key = (config.shape, metric)
        if key not in self._memo:
            self._memo[key] = (self.predict_memory_sized(config, metric) if config.is_memory_sized
                               else self.predict_instance(config, metric))
        return self._memo[key]
