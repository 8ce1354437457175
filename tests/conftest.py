"""Shared fixtures: a fresh store per test and a profiled one; real servers come from the plugins in tests/support."""

from __future__ import annotations

import os

import pytest

from advisor import service
from advisor.core.domain import Config, Measurement, Profile
from tests.support.profiles import instance_profile, lambda_profile

# No test may reach the instance metadata service (off loopback) while boto3 looks for credentials.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

pytest_plugins = ["tests.support.aws", "tests.support.memcached", "tests.support.user_models"]


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    """A fresh ADVISOR_DATA_DIR (and so a fresh SQLite store) for one test."""
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path))
    for name in ("ADVISOR_DATABASE_URL", "ADVISOR_API_TOKEN", "ADVISOR_PRICE_OVERRIDES", "ADVISOR_DISCOUNTS",
                 "ADVISOR_REGION"):
        monkeypatch.delenv(name, raising=False)
    service.reset_caches()
    yield tmp_path
    service.reset_caches()


@pytest.fixture()
def profiled(data_dir):
    """The store with the reference workload profiled on a Lambda grid and one instance type."""
    profiles = [lambda_profile("ncf-recommender", m) for m in (1024, 1769, 2560, 3538)]
    profiles.append(Profile("ncf-recommender", Config("lambda", memory_mb=512), "test:synthetic", {"errors": 1.0},
                            (Measurement(0.0, failed=True),), feasible=False, note="out of memory"))
    profiles.append(instance_profile("ncf-recommender", "ml.c5.large"))
    service.store().add_profiles(profiles)
    return "ncf-recommender"


@pytest.fixture()
def no_aws_credentials(monkeypatch, tmp_path):
    """An environment where boto3 finds no AWS credentials at all."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))


@pytest.fixture()
def fake_aws_credentials(monkeypatch):
    """Credentials that exist (so checks pass) but reach nothing: the test stops before any AWS call."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
