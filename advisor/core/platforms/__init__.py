"""The platform registry: one module per platform, each owning its candidates, limits, price keys and cost
formulas. Everything else asks the registry and never branches on a platform's name, so a new platform is a new
module here and a line in `_MODULES`."""

from __future__ import annotations

import importlib
from functools import lru_cache
from advisor.core.errors import BadInput
from advisor.core.platforms.base import Config, Footprint, Platform, Unpriced

# name -> module under advisor.core.platforms; loaded on first use (they build Configs, which validate here).
_MODULES = {
    "lambda": "lambda_",
    "sagemaker-realtime": "sagemaker_realtime",
    "sagemaker-serverless": "sagemaker_serverless",
    "sagemaker-training": "sagemaker_training",
    "lambda-training": "lambda_training",
    "ec2": "ec2",
}


def names(kind: str | None = None) -> tuple[str, ...]:
    """Every platform's name, or those of one KIND ('inference' or 'training')."""
    return tuple(n for n in _MODULES if kind is None or get(n).kind == kind)


@lru_cache(maxsize=None)
def get(name: str) -> Platform:
    """The platform called NAME; BadInput naming the known ones otherwise."""
    try:
        module = _MODULES[name]
    except (KeyError, TypeError):
        raise BadInput(f"unknown platform {name!r}", hint="one of: " + ", ".join(_MODULES),
                       fields={"platform": "unknown"}) from None
    return importlib.import_module(f"{__name__}.{module}").PLATFORM


def of(config: Config) -> Platform:
    return get(config.platform)


def searched_by_default() -> tuple[str, ...]:
    """The platforms a recommendation considers when none are named: those the search can serve from profiles."""
    return tuple(n for n in _MODULES if get(n).serving is not None)


def candidates(platforms: tuple[str, ...]) -> tuple[Config, ...]:
    """Every candidate config of PLATFORMS (instances at count 1; the search scales them out)."""
    return _candidates(tuple(platforms))


@lru_cache(maxsize=32)
def _candidates(platforms: tuple[str, ...]) -> tuple[Config, ...]:
    return tuple(c for name in platforms for c in get(name).candidates())


def vcpus(config: Config) -> float:
    """The vCPUs one unit of CONFIG gets (one Lambda sandbox, one instance)."""
    return of(config).vcpus(config)


def memory_mb(config: Config) -> float:
    return of(config).memory_mb(config)


def validate(config: Config) -> Config:
    """Check a config against its platform's limits; raise BadInput/NotFound with the limit named."""
    of(config).validate(config)
    return config


__all__ = ["Footprint", "Platform", "Unpriced", "candidates", "get", "memory_mb", "names", "of", "searched_by_default",
           "validate", "vcpus"]
