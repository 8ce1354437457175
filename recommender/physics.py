"""A prior from the platforms' physics, fitted to the target's own trials: it needs no history.

A config's metric is modelled as t = A x g(r) for the resources r the platform gives it, where the shape g comes
from a small grid of hypotheses and the scale A from the target's trials:

  memory-sized (Lambda): r = the CPU share s (1 vCPU at 1,769 MB, at most 6), g = (1 - f) + f / min(s, c): a part
      f of the work is CPU-bound and scales with the share up to the code's parallelism c; the rest (I/O, waiting
      on the network) does not.
  instances: r = the cluster's vCPUs V and machines n, g = ((1 - f) + f / min(V, c)) x (1 + k n): the CPU-bound part
      scales with vCPUs up to the job's parallelism c, and every machine adds coordination k.

Every hypothesis is weighed by how well it fits the trials (lognormal noise); the predictive belief at an unmeasured
config is the mixture of the hypotheses' predictions, so it is wide where the trials leave the shape open (one trial
fixes only the scale) and narrows as they pin it down. Each shape is monotone in resources, so a config with more
of everything is never predicted slower, but for the coordination of a cluster's machines. On memory-sized
platforms failures (out of memory) are monotone too: less memory than a config that failed fails, more than one
that ran does not; a cluster's failures are timeouts, which more machines do not always cure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from advisor.core import platforms
from advisor.core.domain import Config
from recommender.transfer import Belief

NOISE_LOG_SIGMA = 0.08  # run-to-run spread of a measured percentile, in log space
# How far a real workload may sit from the best shape of the family, in log space, at a config not measured: a
# Lambda function's time is close to a + b / min(s, c); a cluster job's (stragglers, staleness, memory) much less so.
SHAPE_ERROR = {True: 0.05, False: 0.30}
SCALE_LOG_SIGMA = 0.35  # how far a group never measured (another architecture) may sit from a measured one
CPU_FRACTIONS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)
SHARE_LIMITS = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)  # Lambda: the code's parallelism, in vCPUs
VCPU_LIMITS = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0)  # clusters: the job's parallelism, in vCPUs
COORDINATION = (0.0, 0.01, 0.03, 0.1, 0.3, 1.0)  # clusters: the relative cost each machine adds
FAIL_PER_HALVING = 0.15  # below the smallest size that ran, the chance of running out of memory per halving
MEMORY_HEADROOM = 1.25  # a size this much above the most memory a trial used is taken not to run out


@dataclass(frozen=True)
class MixtureBelief(Belief):
    """A belief that is a weighted mixture of lognormals (one per shape hypothesis), summarised by its log mean and
    spread (`mu`, `sigma`) for what needs one figure, and exact where the tails matter: the chance of meeting a
    limit, the quantiles and the samples exploration scores. One hypothesis in seven that keeps scaling must not
    vanish into an average that does not."""

    means: tuple[float, ...] = field(default=(), repr=False)
    weights: tuple[float, ...] = field(default=(), repr=False)
    spread: float = 0.0  # each component's own sigma

    def _cdf(self, log_values: np.ndarray) -> np.ndarray:
        from scipy.special import ndtr  # lazy: scipy only when a mixture is evaluated

        z = (np.asarray(log_values, dtype=float)[:, None] - np.asarray(self.means)[None, :]) / max(self.spread, 1e-9)
        return ndtr(z) @ np.asarray(self.weights)

    def p_within(self, limit: float) -> float:
        if self.p_fail >= 1.0 or not self.means:
            return super().p_within(limit)
        return (1.0 - self.p_fail) * float(self._cdf(np.array([math.log(limit)]))[0])

    def _quantiles(self, qs: np.ndarray) -> np.ndarray:
        grid = np.linspace(min(self.means) - 5 * self.spread, max(self.means) + 5 * self.spread, 512)
        cdf = np.maximum.accumulate(self._cdf(grid))
        return np.exp(np.interp(qs, cdf, grid))

    def quantile(self, q: float) -> float:
        if not self.means:
            return super().quantile(q)
        return float(self._quantiles(np.array([q]))[0])

    def samples(self, n: int = 24) -> list[float]:
        if not self.means or not math.isfinite(self.mu):
            return super().samples(n)
        return [float(v) for v in self._quantiles((np.arange(n) + 0.5) / n)]


def _shapes(memory_sized: bool) -> list[tuple[float, float, float]]:
    if memory_sized:
        return [(f, c, 0.0) for f in CPU_FRACTIONS for c in SHARE_LIMITS]
    return [(f, c, k) for f in CPU_FRACTIONS for c in VCPU_LIMITS for k in COORDINATION]


class PhysicsModel:
    """Beliefs about every candidate from the target's trials and the platform's resources alone."""

    def __init__(self, configs: list[Config], vcpus_of: Callable[[Config], float] | None = None) -> None:
        self.configs = list(configs)
        self.memory_sized = all(c.is_memory_sized for c in self.configs)
        vcpus_of = vcpus_of or platforms.vcpus
        share = np.array([vcpus_of(c) for c in self.configs], dtype=float)
        count = np.array([c.instance_count for c in self.configs], dtype=float)
        resource = share if self.memory_sized else share * count
        shapes = _shapes(self.memory_sized)
        f = np.array([s[0] for s in shapes])[:, None]
        c = np.array([s[1] for s in shapes])[:, None]
        k = np.array([s[2] for s in shapes])[:, None]
        # log g for every hypothesis (rows) and config (columns)
        self.resource = resource
        self.log_shape = np.log((1 - f) + f / np.minimum(resource[None, :], c)) + np.log1p(k * count[None, :])
        self.index = {cfg: j for j, cfg in enumerate(self.configs)}
        self.group = [(cfg.platform, cfg.architecture, None if self.memory_sized else cfg.instance_type)
                      for cfg in self.configs]
        self.memory_used: dict[Config, float] = {}  # the most memory each trial used, MB, where it was reported
        self.size_key = np.array([float(cfg.memory_mb or 0) if self.memory_sized else resource[j]
                                  for j, cfg in enumerate(self.configs)])

    def reference(self) -> Config:
        """The first config to measure with nothing else to go on: memory-sized, the size nearest one full vCPU,
        where single-threaded code stops speeding up and I/O-bound code already has what it needs, so that the
        next trial can go either way; instances, the middle of the candidates' vCPUs."""
        def key(j: int) -> tuple[float, Config]:
            if self.memory_sized:
                return abs(math.log(self.resource[j])), self.configs[j]
            return abs(math.log(self.resource[j]) - float(np.median(np.log(self.resource)))), self.configs[j]

        return self.configs[min(range(len(self.configs)), key=key)]

    def condition(self, observed: dict[Config, float]) -> dict[Config, Belief]:
        """Beliefs about every config given the target's OBSERVED metric values (inf for a failure)."""
        ran = [(self.index[c], math.log(v)) for c, v in observed.items() if c in self.index and math.isfinite(v)]
        beliefs: dict[Config, Belief] = {}
        self.decided: set[Config] = set()  # configs whose failure or not monotonicity settles
        mu, sigma, components = self._predict(ran)
        trials = self._trials_by_group(observed)
        for j, config in enumerate(self.configs):
            if config in observed:
                v = observed[config]
                beliefs[config] = Belief(math.log(v) if math.isfinite(v) else math.inf, 0.0,
                                         0.0 if math.isfinite(v) else 1.0, measured=True)
                continue
            p_fail, decided = self._p_fail(j, trials.get(self.group[j], ([], [], [])))
            if decided:
                self.decided.add(config)
            if components is None or not math.isfinite(sigma[j]):
                beliefs[config] = Belief(float(mu[j]), float(sigma[j]), p_fail)
                continue
            means, weights, spread = components
            beliefs[config] = MixtureBelief(float(mu[j]), float(sigma[j]), p_fail, means=tuple(means[:, j]),
                                            weights=weights, spread=float(spread[j]))
        return beliefs

    def _predict(self, ran: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray, tuple | None]:
        """Mixture mean and spread of log t at every config, and the mixture's components (the hypotheses that
        carry weight: their log predictions, weights, and each one's own spread per config)."""
        n = len(self.configs)
        if not ran:
            return np.zeros(n), np.full(n, math.inf), None
        cols = np.array([j for j, _ in ran])
        values = np.array([v for _, v in ran])
        residual = values[None, :] - self.log_shape[:, cols]  # log A implied by each trial, per hypothesis
        log_scale = residual.mean(axis=1)
        misfit = ((residual - log_scale[:, None]) ** 2).sum(axis=1)
        log_weight = -misfit / (2 * NOISE_LOG_SIGMA**2)
        weight = np.exp(log_weight - log_weight.max())
        weight /= weight.sum()
        predicted = log_scale[:, None] + self.log_shape  # hypotheses x configs
        mu = weight @ predicted
        # what the best shapes leave unexplained in the trials themselves widens every prediction
        parameters = 3 if self.memory_sized else 4  # the scale and the shape's own (f, c; and k for clusters)
        unexplained = float(weight @ misfit) / max(1, len(ran) - parameters)
        within = (NOISE_LOG_SIGMA**2 + unexplained) * (1 + 1 / len(ran)) + SHAPE_ERROR[self.memory_sized] ** 2
        var = weight @ (predicted - mu[None, :]) ** 2 + within
        groups_seen = {self.group[j] for j in cols}
        unseen = np.array([self.group[j] not in groups_seen for j in range(n)])
        own = np.full(n, math.sqrt(within))
        own = np.where(unseen, np.sqrt(within + SCALE_LOG_SIGMA**2), own)
        var = np.where(unseen, var + SCALE_LOG_SIGMA**2, var)
        keep = weight > 1e-4 * weight.max()
        kept = weight[keep] / weight[keep].sum()
        return mu, np.sqrt(var), (predicted[keep], tuple(float(w) for w in kept), own)

    def _trials_by_group(self, observed: dict[Config, float]) -> dict[tuple, tuple[list, list, list]]:
        """For each group: the sizes that failed, the sizes that ran, and the most memory trials reported using."""
        out: dict[tuple, tuple[list, list, list]] = {}
        for c, v in observed.items():
            if c in self.index:
                j = self.index[c]
                out.setdefault(self.group[j], ([], [], []))[0 if not math.isfinite(v) else 1].append(self.size_key[j])
        for c, m in self.memory_used.items():
            out.setdefault(self.group[self.index[c]], ([], [], []))[2].append(m)
        return out

    def _p_fail(self, j: int, trials: tuple[list, list, list]) -> tuple[float, bool]:
        """Memory-sized: failures are monotone in size within a group: less than a size that failed fails, more than
        one that ran runs; below the smallest size that ran, each halving adds a chance of running out of memory.
        Clusters: the share of the group's trials that failed. (p, whether monotonicity settles it)"""
        size = self.size_key[j]
        failed, ran, used = trials
        if not self.memory_sized:  # a cluster's failures are timeouts, and more machines can be slower
            return (len(failed) + 0.5) / (len(failed) + len(ran) + 2) if failed else 0.0, False
        if failed and size <= max(failed):
            return 1.0, True
        if ran and size >= min(ran):
            return 0.0, True
        if failed:
            return 0.5, False
        if used:  # the trials said how much memory the code needs
            if size < max(used):
                return 1.0, True
            return (0.0, True) if size >= MEMORY_HEADROOM * max(used) else (0.25, False)
        if ran:
            return min(0.5, FAIL_PER_HALVING * math.log2(min(ran) / size)), False
        return 0.0, False
