"""Peer methods re-implemented for the decision-quality benchmark, each on the same trial budget.

- random-k: k configs at random, the cheapest measured one that meets the SLA.
- Parrotfish-style: k memory sizes spread over the grid, a fit of t(m) = a0 + a1 * exp(-m / a2), the cheapest size
  the fit says meets the SLA (memory-sized platforms only).
- CherryPick-style: a Gaussian process on config features (log metric), next trial by expected improvement of
  cost times the probability of meeting the SLA, the cheapest measured config that met it.
Each returns (pick or None, trials used). Written from the papers' descriptions, not from their code.
"""

from __future__ import annotations

import math
import random
import warnings
from typing import Callable

import numpy as np

from advisor.core.domain import Config

Cost = Callable[[Config, float], float]


def cheapest_measured(measured: dict[Config, float], limit: float, cost: Cost) -> Config | None:
    met = [(cost(c, v), c) for c, v in measured.items() if math.isfinite(v) and v <= limit]
    return min(met)[1] if met else None


def random_k(configs: list[Config], truth: dict[Config, float], limit: float, cost: Cost, k: int,
             rng: random.Random) -> tuple[Config | None, int]:
    picked = rng.sample(configs, min(k, len(configs)))
    return cheapest_measured({c: truth[c] for c in picked}, limit, cost), len(picked)


def spread(configs: list[Config], k: int) -> list[Config]:
    """K configs evenly spread over the sorted grid, ends included."""
    if k >= len(configs):
        return list(configs)
    idx = sorted({round(i * (len(configs) - 1) / (k - 1)) for i in range(k)}) if k > 1 else [len(configs) // 2]
    return [configs[i] for i in idx]


def parrotfish(configs: list[Config], truth: dict[Config, float], limit: float, cost: Cost, k: int
               ) -> tuple[Config | None, int]:
    from scipy.optimize import curve_fit

    grid = sorted(configs, key=lambda c: c.memory_mb or 0)
    sample = [c for c in spread(grid, k)]
    xs = np.array([c.memory_mb for c in sample], dtype=float)
    ys = np.array([truth[c] for c in sample], dtype=float)
    finite = np.isfinite(ys)
    if finite.sum() < 2:
        return cheapest_measured({c: truth[c] for c in sample}, limit, cost), len(sample)

    def model(m, a0, a1, a2):
        return a0 + a1 * np.exp(-m / a2)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            params, _ = curve_fit(model, xs[finite], ys[finite], p0=(ys[finite].min(), ys[finite].max(), 1000.0),
                                  bounds=([0, 0, 50], [np.inf, np.inf, 20000]), maxfev=5000)
    except (RuntimeError, ValueError):
        return cheapest_measured({c: truth[c] for c in sample}, limit, cost), len(sample)
    options = []
    for c in grid:
        t = truth[c] if c in sample else float(model(c.memory_mb, *params))
        if math.isfinite(t) and t <= limit:
            options.append((cost(c, t), c))
    return (min(options)[1] if options else None), len(sample)


def _features(c: Config, extra: dict[str, dict[str, float]]) -> list[float]:
    if c.memory_mb:
        return [math.log(c.memory_mb)]
    info = extra.get(c.instance_type or "", {})
    return [math.log(info.get("vcpus", 1.0)), math.log(info.get("memory_gib", 1.0)), math.log(c.instance_count)]


def cherrypick(configs: list[Config], truth: dict[Config, float], limit: float, cost: Cost, k: int,
               rng: random.Random, extra: dict[str, dict[str, float]]) -> tuple[Config | None, int]:
    from scipy.stats import norm
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

    x_all = np.array([_features(c, extra) for c in configs])
    lo, hi = x_all.min(axis=0), x_all.max(axis=0)
    x_all = (x_all - lo) / np.where(hi > lo, hi - lo, 1.0)
    measured: dict[int, float] = {}
    for i in rng.sample(range(len(configs)), min(3, k, len(configs))):
        measured[i] = truth[configs[i]]
    while len(measured) < min(k, len(configs)):
        idx = list(measured)
        vals = np.array([measured[i] for i in idx])
        cap = np.nanmax(np.where(np.isfinite(vals), vals, np.nan)) if np.isfinite(vals).any() else limit
        y = np.log(np.where(np.isfinite(vals), vals, cap * 2))  # a failed run counts as twice the slowest seen
        gp = GaussianProcessRegressor(ConstantKernel(1.0) * Matern(length_scale=0.5, nu=2.5) + WhiteKernel(1e-3),
                                      normalize_y=True, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gp.fit(x_all[idx], y)
        untried = [i for i in range(len(configs)) if i not in measured]
        mu, sd = gp.predict(x_all[untried], return_std=True)
        sd = np.maximum(sd, 1e-6)
        best = cheapest_measured({configs[i]: measured[i] for i in idx}, limit, cost)
        best_cost = cost(best, measured[configs.index(best)]) if best else max(
            cost(configs[i], limit) for i in untried) * 1.01
        scores = []
        for j, i in enumerate(untried):
            unit = cost(configs[i], 1.0)  # cost is proportional to the metric for a fixed config
            m, s = math.log(max(unit, 1e-300)) + mu[j], sd[j]
            z = (math.log(best_cost) - m) / s
            ei = best_cost * norm.cdf(z) - math.exp(m + s * s / 2) * norm.cdf(z - s)
            p_meet = norm.cdf((math.log(limit) - mu[j]) / sd[j])
            scores.append(max(ei, 0.0) * p_meet)
        measured[untried[int(np.argmax(scores))]] = truth[configs[untried[int(np.argmax(scores))]]]
    return cheapest_measured({configs[i]: v for i, v in measured.items()}, limit, cost), len(measured)
