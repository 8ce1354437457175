"""The replay backend: a trial is answered from recorded measurements instead of being run.

The target workload's rows are revealed only for the configs the advisor chooses to profile, at most
`max_trials` of them; every other workload in the file is history the model may learn from.
"""

from __future__ import annotations

from advisor.core.domain import Config, Profile
from advisor.core.errors import BadInput, NotFound


class BudgetExhausted(Exception):
    """The advisor asked for more trials than it was allowed."""


class ReplayBackend:
    name = "replay"
    method = "replay"
    live = False  # answers trials from recorded measurements
    runs_own_trials = False
    costs_money = False

    def __init__(self, profiles: list[Profile], workload: str, max_trials: int) -> None:
        self.workload = workload
        self.max_trials = max_trials
        self._target = {p.config: p for p in profiles if p.workload == workload}
        if not self._target:
            known = sorted({p.workload for p in profiles})
            raise NotFound(f"the measurements hold no rows of workload {workload!r}",
                           hint="workloads in the file: " + ", ".join(known[:8]) + (" ..." if len(known) > 8 else ""),
                           fields={"workload": "not in the file"})
        if max_trials < 1:
            raise BadInput("max_trials must be at least 1", hint="e.g. --max-trials 3",
                           fields={"max_trials": "out of range"})
        self.history = [p for p in profiles if p.workload != workload]
        self.revealed: dict[Config, Profile] = {}

    def candidates(self) -> list[Config]:
        """The configs the file holds for the target (which configs exist, not how they performed)."""
        return sorted(self._target)

    def check(self, config: Config) -> str | None:
        return None if config in self._target else "not in the measurements file"

    @property
    def trials_left(self) -> int:
        return self.max_trials - len(self.revealed)

    def trial(self, config: Config) -> Profile:
        if config in self.revealed:
            return self.revealed[config]
        if self.trials_left <= 0:
            raise BudgetExhausted(f"all {self.max_trials} trials are spent")
        profile = self._target[config]
        self.revealed[config] = profile
        return profile
