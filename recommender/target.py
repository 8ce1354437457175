"""What the advisor believes about the target workload: the platform's physics first, history only where it predicts.

Two models answer for every candidate: `PhysicsModel` (shapes the platform allows, fitted to the target's own
trials) and, when other workloads were measured on the same configs, `HistoryModel` (their curves shifted to the
target's trials). History's weight starts at how often it predicted its own held-out workloads better than physics
did, and moves with how well each model predicted the target's trials before it saw them (each trial from the ones
before it, in the order they were taken). The likelier model leads: history that is unlike the target loses the
lead after a trial or two. Where the two disagree, the belief is their mixture, so the interval widens: unlike
history can never narrow it.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Callable

import numpy as np

from advisor.core.domain import Config, Profile
from recommender.physics import NOISE_LOG_SIGMA, PhysicsModel
from recommender.transfer import Belief, HistoryModel

PRIOR_BOUNDS = (0.05, 0.95)  # history's weight before the target's trials have tested it, at least and at most
CALIBRATION_WORKLOADS = 24  # history workloads held out in turn to set that weight
LOG_DENSITY_FLOOR = -12.0  # a trial no model expected costs a model at most this much
ALLOWED_SIGMAS = 2.0  # beyond this many of physics' sigmas, history and physics disagree


def log_density(belief: Belief, value: float) -> float:
    """How likely BELIEF found VALUE (inf: a failure), as a log density of log VALUE."""
    if not math.isfinite(value):
        return max(LOG_DENSITY_FLOOR, math.log(max(belief.p_fail, 1e-6)))
    if belief.p_fail >= 1.0 or not math.isfinite(belief.mu):
        return LOG_DENSITY_FLOOR
    sigma = max(belief.sigma, NOISE_LOG_SIGMA) if math.isfinite(belief.sigma) else 3.0
    z = (math.log(value) - belief.mu) / sigma
    return max(LOG_DENSITY_FLOOR, math.log(1 - belief.p_fail) - 0.5 * z * z - math.log(sigma))


def blend(physics: Belief, history: Belief, w: float, decided: bool = False) -> Belief:
    """What to believe at one config, W being the chance that history is the right model of the target. The
    likelier model leads; where the other disagrees with it by more than ALLOWED_SIGMAS of physics' spread, the
    belief is their mixture, so that disagreement widens the interval instead of being hidden. The chance of failing
    is physics' where monotonicity DECIDED it."""
    if physics.measured:
        return physics
    p_fail = physics.p_fail if decided else history.p_fail if w >= 0.5 else w * history.p_fail + (1 - w) * physics.p_fail
    if p_fail >= 1.0:
        return Belief(math.inf, 0.0, 1.0)
    history_usable = math.isfinite(history.sigma) and math.isfinite(history.mu)
    physics_usable = math.isfinite(physics.sigma) and math.isfinite(physics.mu)
    if not physics_usable or not history_usable:
        lead = history if history_usable and (w >= 0.5 or not physics_usable) else physics
        return replace(lead, p_fail=p_fail, measured=False)  # physics keeps its mixture's tails
    lead = history if w >= 0.5 else physics
    if abs(history.mu - physics.mu) <= ALLOWED_SIGMAS * physics.sigma:
        return replace(lead, p_fail=p_fail, measured=False)
    mu = w * history.mu + (1 - w) * physics.mu
    var = w * (history.sigma**2 + (history.mu - mu) ** 2) + (1 - w) * (physics.sigma**2 + (physics.mu - mu) ** 2)
    return Belief(mu, math.sqrt(var), p_fail)


class TargetModel:
    """Beliefs about every candidate of the target, conditioned on its trials."""

    def __init__(self, candidates: list[Config], history: list[Profile], metric: str,
                 vcpus_of: Callable[[Config], float] | None = None) -> None:
        self.candidates = list(candidates)
        self.physics = PhysicsModel(self.candidates, vcpus_of)
        model = HistoryModel(history, self.candidates, metric) if history else None
        self.history = model if model is not None and model.size else None
        self.prior = self._prior() if self.history else 0.0
        self.history_weight = self.prior
        # the trials scored so far, in order, and for each after the first how much better history predicted it
        # than physics did (a log likelihood ratio): exploration only adds trials, so each is scored once
        self._scored: list[tuple[Config, float]] = []
        self._ratios: list[float] = []

    def first(self) -> Config:
        """The first trial: physics' reference point (see PhysicsModel.reference), where the next trial can go
        either way; history, which may be unlike the target, does not choose it."""
        return self.physics.reference()

    def propose(self, observed: dict[Config, float], beliefs: dict[Config, Belief], limit: float, left: int = 2,
                confidence: float = 0.9) -> Config | None:
        """Until history has predicted a trial of the target, or while physics leads, on a memory-sized platform
        the next trial searches the gap the SLA leaves:
        between the largest size that missed it (or failed) and the smallest that met it (below the smallest that
        met when none missed, above the largest that missed when none met). The metric falls with memory, so the
        cheapest size that meets lies in that gap: once a size has missed, the trial goes to the smallest size above
        it that the beliefs give an even chance of meeting (CONFIDENCE when it is the last of the trials LEFT, which
        no later trial can correct), or on that last trial, the likeliest; else to the gap's
        middle in log memory (down toward cheaper sizes while every size tried has met). None: let the expected
        improvement decide (history leads, a cluster, or nothing left between)."""
        confirmed = self.history_weight >= 0.5 and len(observed) >= 2  # history has predicted a trial of the target
        if confirmed or not self.physics.memory_sized:
            return None
        by_size = sorted(self.candidates, key=lambda c: (c.architecture, c.memory_mb or 0))
        tried = [c for c in by_size if c in observed]
        if not tried:
            return None
        arch = tried[0].architecture
        sizes = [c for c in by_size if c.architecture == arch]
        met = [c.memory_mb or 0 for c in tried if c.architecture == arch and observed[c] <= limit]
        missed = [c.memory_mb or 0 for c in tried if c.architecture == arch and not observed[c] <= limit]
        low = max(missed) if missed else None
        high = min(met) if met else None
        if low is not None and high is not None and low > high:
            return None  # not monotone: the expected improvement decides
        inside = [c for c in sizes if c not in observed and (low is None or (c.memory_mb or 0) > low)
                  and (high is None or (c.memory_mb or 0) < high)]
        if not inside:
            return None
        aim = confidence if left <= 1 else 0.5
        even = [c for c in inside if beliefs[c].p_within(limit) >= aim]
        if low is not None and (even or left <= 1):  # a size missed: aim at the smallest above it likely to meet
            return even[0] if even else max(inside, key=lambda c: (beliefs[c].p_within(limit), -(c.memory_mb or 0)))
        lo = math.log(low if low is not None else (inside[0].memory_mb or 1) / 1.0001)
        hi = math.log(high if high is not None else (inside[-1].memory_mb or 1) * 1.0001)
        middle = (lo + hi) / 2
        return min(inside, key=lambda c: (abs(math.log(c.memory_mb or 1) - middle), c.memory_mb or 0))

    def note(self, profile: Profile) -> None:
        """What a trial said besides its metric: the most memory it used (which bounds what smaller sizes need)."""
        used = profile.summary.get("max_memory_used_mb")
        if profile.feasible and used and profile.config in self.physics.index and profile.config.is_memory_sized:
            self.physics.memory_used[profile.config] = float(used)

    def condition(self, observed: dict[Config, float]) -> dict[Config, Belief]:
        if self.history is None:
            return self.physics.condition(observed)
        self.history_weight = self._weigh(observed)
        physics = self.physics.condition(observed)
        history = self.history.condition(observed)
        return {c: blend(physics[c], history[c], self.history_weight, c in self.physics.decided)
                for c in self.candidates}

    def _prior(self) -> float:
        """History's weight before the target is measured: how often history predicted one of its own workloads
        better than physics did, each held out in turn and measured at the anchor config only. History made of
        one program's variants predicts its members well; unrelated programs do not. Only the target's own
        trials can say whether it is like its history; they take it from here."""
        assert self.history is not None
        model, n = self.history, self.history.size
        if n < 4:
            return 0.5
        anchor = model.anchor()
        k_anchor = model.index[anchor]
        wins, tried = 0, 0
        for row in sorted(set(np.linspace(0, n - 1, num=min(CALIBRATION_WORKLOADS, n)).astype(int))):
            truth = model.matrix[row]
            if not np.isfinite(truth[k_anchor]):
                continue
            others = model.without(row)
            seen = {anchor: math.exp(truth[k_anchor])}
            from_history, from_physics = others.condition(seen), self.physics.condition(seen)
            score = 0.0
            for c, k in model.index.items():
                if k != k_anchor and not np.isnan(truth[k]):
                    value = math.exp(truth[k]) if np.isfinite(truth[k]) else math.inf
                    score += log_density(from_history[c], value) - log_density(from_physics[c], value)
            wins += score > 0
            tried += 1
        if not tried:
            return 0.5
        return min(PRIOR_BOUNDS[1], max(PRIOR_BOUNDS[0], (wins + 0.5) / (tried + 1)))

    def _weigh(self, observed: dict[Config, float]) -> float:
        """History's weight: the prior odds times how much better it predicted each trial from those before it."""
        assert self.history is not None
        order = list(observed.items())
        if order[:len(self._scored)] != self._scored:  # not the trials scored before plus new ones: start again
            self._scored, self._ratios = [], []
        for k in range(max(1, len(self._scored)), len(order)):
            seen = dict(order[:k])
            nxt, value = order[k]
            self._ratios.append(log_density(self.history.condition(seen)[nxt], value)
                                - log_density(self.physics.condition(seen)[nxt], value))
        self._scored = order
        log_odds = math.log(self.prior / (1 - self.prior)) + sum(self._ratios)
        log_odds = max(-30.0, min(30.0, log_odds))
        return 1 / (1 + math.exp(-log_odds))
