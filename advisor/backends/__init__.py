"""Where trials run. One module per backend behind the small protocol in `base`; `get()` is the registry."""

from __future__ import annotations

from advisor.backends.base import Backend, Invocation, Target
from advisor.core.errors import BadInput

_REGISTRY = {
    "local": "advisor.backends.local:LocalBackend",
}


def get(name: str, **options) -> Backend:
    import importlib

    try:
        module_name, class_name = _REGISTRY[name].split(":")
    except KeyError:
        raise BadInput(f"unknown backend {name!r}", hint="one of: " + ", ".join(_REGISTRY),
                       fields={"backend": "unknown"}) from None
    return getattr(importlib.import_module(module_name), class_name)(**options)


__all__ = ["Backend", "Invocation", "Target", "get"]
