"""Where trials run. One module per backend behind the small protocol in `base`; `get()` is the registry."""

from __future__ import annotations

from advisor.backends.base import Backend, Invocation, Target
from advisor.core.errors import BadInput

# name -> (module:class, whether it runs trials; replay answers them from measurements and takes options
# profiles, workload and max_trials). Modules load on first use: aws needs boto3, local none of it.
_REGISTRY = {
    "local": ("advisor.backends.local:LocalBackend", True),
    "aws": ("advisor.backends.aws:AwsBackend", True),
    "replay": ("advisor.backends.replay:ReplayBackend", False),
}


def names(live: bool | None = None) -> tuple[str, ...]:
    """The backends' names; LIVE: only those that run trials (True), or only those that replay them (False)."""
    return tuple(n for n, (_, runs) in _REGISTRY.items() if live is None or runs == live)


def get(name: str, **options) -> Backend:
    import importlib

    try:
        module_name, class_name = _REGISTRY[name][0].split(":")
    except KeyError:
        raise BadInput(f"unknown backend {name!r}", hint="one of: " + ", ".join(_REGISTRY),
                       fields={"backend": "unknown"}) from None
    return getattr(importlib.import_module(module_name), class_name)(**options)


__all__ = ["Backend", "Invocation", "Target", "get", "names"]
