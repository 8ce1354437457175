"""A performance prior learned from history: other workloads measured on the same configs.

Workloads differ mostly by a scale (a bigger batch is slower everywhere) and less in shape (how they react to
more CPU or more instances). Given the target's measured configs, each history workload is shifted in log space
to agree with them on average; those whose shape also agrees get more weight; their shifted curves, weighted,
are the predictive distribution of the target's metric on every unmeasured config, including the chance that
it fails there.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from advisor.core.domain import Config, Profile

SHAPE_TOLERANCE = 0.15  # log-space spread of shape mismatch at which a neighbour's weight falls to e^-1/2
NOISE_FLOOR = 0.03  # measurement noise between repeated runs, in log space


@dataclass(frozen=True)
class Belief:
    """What the model believes about one config's metric: lognormal(mu, sigma) with a chance of failing."""

    mu: float  # log of the metric
    sigma: float
    p_fail: float
    measured: bool = False

    def p_within(self, limit: float) -> float:
        """The probability that the config runs and its metric is at most LIMIT."""
        if self.p_fail >= 1.0:
            return 0.0
        if self.sigma <= 0:
            ok = 1.0 if self.mu <= math.log(limit) else 0.0
        else:
            ok = 0.5 * (1.0 + math.erf((math.log(limit) - self.mu) / (self.sigma * math.sqrt(2.0))))
        return (1.0 - self.p_fail) * ok

    def samples(self, n: int = 24) -> list[float]:
        """N equally likely values of the metric (its quantiles at (k + 0.5) / N), given that it runs."""
        from statistics import NormalDist

        if not math.isfinite(self.mu):
            return []
        if self.sigma <= 0:
            return [math.exp(self.mu)]
        unit = NormalDist()
        return [math.exp(self.mu + self.sigma * unit.inv_cdf((k + 0.5) / n)) for k in range(n)]

    def quantile(self, q: float) -> float:
        from statistics import NormalDist

        return math.exp(self.mu + self.sigma * NormalDist().inv_cdf(q)) if self.sigma > 0 else math.exp(self.mu)


def metric_value(profile: Profile, metric: str) -> float:
    """A profile's metric in ms; +inf when the config failed there."""
    if not profile.feasible:
        return math.inf
    value = profile.summary.get(metric)
    return float(value) if value is not None and math.isfinite(value) and value > 0 else math.nan


class HistoryModel:
    """Log-metric matrix of history workloads x configs, conditioned on the target's measurements."""

    def __init__(self, history: list[Profile], configs: list[Config], metric: str) -> None:
        self.configs = list(configs)
        self.index = {c: k for k, c in enumerate(self.configs)}
        names = sorted({p.workload for p in history})
        row = {w: k for k, w in enumerate(names)}
        self.matrix = np.full((len(names), len(self.configs)), np.nan)
        for p in history:
            k = self.index.get(p.config)
            if k is not None:
                value = metric_value(p, metric)
                self.matrix[row[p.workload], k] = math.log(value) if math.isfinite(value) else (
                    np.inf if value == math.inf else np.nan)
        self.metric = metric
        self._scale: float | None = None

    def spread_scale(self) -> float:
        """How much to stretch the predictive spread so that it is calibrated on this history itself: each of up
        to 40 history workloads in turn plays the target, measured at the anchor config only, and the others
        predict its remaining configs. The factor makes 90% of those standardized errors fall within 1.645 sigma."""
        if self._scale is not None:
            return self._scale
        self._scale = 1.0
        n = self.size
        if n < 8:
            return self._scale
        anchor = self.index[self.anchor()]
        errors: list[float] = []
        for row in np.linspace(0, n - 1, num=min(40, n)).astype(int):
            if not np.isfinite(self.matrix[row, anchor]):
                continue
            held_out = self.without(row)  # its spread scale is the 1.0 set above, until this loop ends
            beliefs = held_out.condition({self.configs[anchor]: math.exp(self.matrix[row, anchor])})
            for c, k in self.index.items():
                truth, b = self.matrix[row, k], beliefs[c]
                if k != anchor and np.isfinite(truth) and math.isfinite(b.mu) and 0 < b.sigma < math.inf:
                    errors.append(abs(truth - b.mu) / b.sigma)
        if len(errors) >= 20:
            self._scale = float(np.quantile(errors, 0.9)) / 1.6449
        return self._scale

    def without(self, row: int) -> "HistoryModel":
        """The same model less one history workload (its spread scale kept): for holding it out."""
        held_out = HistoryModel.__new__(HistoryModel)
        held_out.configs, held_out.index, held_out.metric = self.configs, self.index, self.metric
        held_out.matrix, held_out._scale = np.delete(self.matrix, row, axis=0), self.spread_scale()
        return held_out

    @property
    def size(self) -> int:
        return self.matrix.shape[0]

    def anchor(self) -> Config:
        """The config whose measurement predicts the others best across history (the first thing to measure)."""
        finite = np.where(np.isfinite(self.matrix), self.matrix, np.nan)
        best, best_err = 0, math.inf
        for s in range(len(self.configs)):
            ratios = finite - finite[:, [s]]
            if np.all(np.isnan(ratios)):
                continue
            with warnings.catch_warnings():  # a config no history workload ran on has no centre: it is skipped
                warnings.simplefilter("ignore", RuntimeWarning)
                centre = np.nanmedian(ratios, axis=0)
                err = np.nanmean(np.abs(ratios - centre))
            fail_rate = float(np.mean(np.isinf(self.matrix[:, s])))
            err += fail_rate  # a config that often fails tells little
            if err < best_err:
                best, best_err = s, err
        return self.configs[best]

    def condition(self, observed: dict[Config, float]) -> dict[Config, Belief]:
        """Beliefs about every config given the target's OBSERVED metric values (inf for a failure)."""
        obs = [(self.index[c], v) for c, v in observed.items() if c in self.index]
        scale = self.spread_scale()
        beliefs: dict[Config, Belief] = {}
        weights, shifts, mismatch = self._neighbours(obs)
        for c, k in self.index.items():
            if c in observed:
                v = observed[c]
                beliefs[c] = Belief(math.log(v) if math.isfinite(v) else math.inf, 0.0, 0.0 if math.isfinite(v) else 1.0,
                                    measured=True)
                continue
            belief = self._predict(k, weights, shifts, mismatch)
            beliefs[c] = Belief(belief.mu, belief.sigma * scale, belief.p_fail) if scale != 1.0 else belief
        return beliefs

    def _neighbours(self, obs: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray, float]:
        """Weights and log shifts of the history workloads, and their weighted shape mismatch (a variance)."""
        n = self.size
        if n == 0:
            return np.zeros(0), np.zeros(0), 0.0
        finite_obs = [(k, math.log(v)) for k, v in obs if math.isfinite(v)]
        failed_obs = [k for k, v in obs if not math.isfinite(v)]
        shifts = np.zeros(n)
        mismatch = np.zeros(n)
        usable = np.ones(n, dtype=bool)
        if finite_obs:
            ks = np.array([k for k, _ in finite_obs])
            vs = np.array([v for _, v in finite_obs])
            hist = self.matrix[:, ks]
            ok = np.isfinite(hist)
            usable &= ok.all(axis=1)
            diff = np.where(ok, vs[None, :] - hist, 0.0)
            shifts = diff.mean(axis=1)
            mismatch = ((diff - shifts[:, None]) ** 2).mean(axis=1) if len(ks) > 1 else mismatch
            # a neighbour that failed where the target ran is a poor guide
            mismatch = mismatch + np.where(np.isinf(hist).any(axis=1), 1.0, 0.0)
        for k in failed_obs:  # the target failed here: prefer neighbours that failed (or were slowest) here too
            mismatch = mismatch + np.where(np.isinf(self.matrix[:, k]), 0.0, 0.25)
        weights = np.where(usable, np.exp(-mismatch / (2 * SHAPE_TOLERANCE**2)), 0.0)
        if weights.sum() <= 0:
            weights = np.ones(n)
        weights = weights / weights.sum()
        # Even the best neighbours differ in shape from the target on what was measured: carry that over.
        residual = float(np.sum(weights * np.minimum(mismatch, 1.0)))
        return weights, shifts, residual

    def _predict(self, k: int, weights: np.ndarray, shifts: np.ndarray, mismatch: float) -> Belief:
        if self.size == 0:
            return Belief(0.0, math.inf, 0.0)
        column = self.matrix[:, k]
        present = ~np.isnan(column) & (weights > 0)
        if not present.any():
            return Belief(0.0, math.inf, 0.0)
        w = weights[present]
        values = column[present]
        failed = np.isinf(values)
        p_fail = float(w[failed].sum() / w.sum())
        if failed.all():
            return Belief(math.inf, 0.0, 1.0)
        wf = w[~failed]
        v = values[~failed] + shifts[present][~failed]
        mu = float(np.average(v, weights=wf))
        var = float(np.average((v - mu) ** 2, weights=wf))
        n_eff = wf.sum() ** 2 / (wf**2).sum()
        sigma = math.sqrt(var * (1 + 1 / n_eff) + mismatch + NOISE_FLOOR**2)
        return Belief(mu, sigma, p_fail)
