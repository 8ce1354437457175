"""Housekeeping on AWS: what trials left behind."""

from __future__ import annotations

from typing import Any


def _clients() -> tuple[Any, Any]:
    from advisor.core.aws import client

    return client("lambda"), client("sagemaker")


def gc_find(older_than: str) -> list[dict[str, Any]]:
    from advisor.backends.aws import gc

    age = gc.parse_age(older_than)
    lam, sm = _clients()
    return [item.to_dict() for item in gc.find(lam, sm, age)]


def gc_delete(older_than: str) -> list[str]:
    """Find again and delete: what is deleted is what is leftover now, never a stale list."""
    from advisor.backends.aws import gc

    age = gc.parse_age(older_than)
    lam, sm = _clients()
    return gc.delete(gc.find(lam, sm, age), lam, sm)
