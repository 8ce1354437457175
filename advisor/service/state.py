"""The service's state between calls: the open store and what is cached on it (fitted models, computed answers).

The front end that owns a State makes it current: the Flask app keeps one in `app.extensions["advisor"]` and makes
it current for each request; the CLI makes one for its process; the scheduler process for its own. A caller that
made none (a script, a test) gets an implicit State for the database the settings name now, which follows the
settings when they change. The current State travels in a context variable, so threads the service starts copy it.
"""

from __future__ import annotations

import contextvars
import threading
from typing import Any

from advisor.core import settings
from advisor.store.database import Store
from advisor.workloads import BUILTIN

MAX_FITTED_MODELS = 64
MAX_ANSWERS = 256


class State:
    def __init__(self, database_url: str | None = None, implicit: bool = False) -> None:
        self.database_url = database_url or settings.database_url()
        self.implicit = implicit  # made by `current` for a caller that made none: it follows the settings
        self.lock = threading.Lock()
        self.fitted_models: dict[tuple[str, str, float], Any] = {}  # (workload, profiles' version, confidence)
        self.answers_by_id: dict[str, tuple[dict[str, Any], bytes]] = {}  # identical inputs, identical answer
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        """The store, opened on first use: its schema created or migrated and the built-in workloads registered."""
        with self.lock:
            if self._store is None:
                store = Store(self.database_url).init()
                for spec in BUILTIN.values():
                    if store.get_workload(spec.id) is None:
                        store.upsert_workload(spec.id, spec.kind, spec.description, spec.to_dict())
                self._store = store
            return self._store

    def remember_model(self, key: tuple[str, str, float], value: Any) -> None:
        with self.lock:
            if len(self.fitted_models) >= MAX_FITTED_MODELS:
                self.fitted_models.clear()
            self.fitted_models[key] = value

    def remember_answer(self, rec_id: str, value: tuple[dict[str, Any], bytes]) -> None:
        with self.lock:
            if len(self.answers_by_id) >= MAX_ANSWERS:
                self.answers_by_id.clear()
            self.answers_by_id[rec_id] = value


_current: contextvars.ContextVar[State | None] = contextvars.ContextVar("advisor_service_state", default=None)


def current() -> State:
    """The current State; an implicit one for the settings' database when none was made current (or when the
    settings have moved on from an implicit one's)."""
    state = _current.get()
    if state is None or (state.implicit and state.database_url != settings.database_url()):
        state = State(implicit=True)
        _current.set(state)
    return state


def activate(state: State) -> contextvars.Token:
    """Make STATE current in this context; `deactivate` with the token puts the previous one back."""
    return _current.set(state)


def deactivate(token: contextvars.Token) -> None:
    _current.reset(token)


def forget() -> None:
    """Drop an implicit State, so that the next call opens the store and fills the caches afresh."""
    state = _current.get()
    if state is not None and state.implicit:
        _current.set(None)
