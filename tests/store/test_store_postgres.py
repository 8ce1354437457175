"""The store on a real PostgreSQL server, reached by ADVISOR_DATABASE_URL."""

import importlib.util

import pytest

from tests.support.postgres import postgres_bin, running_postgres

pytestmark = pytest.mark.skipif(postgres_bin() is None or importlib.util.find_spec("psycopg") is None,
                                reason="PostgreSQL server or psycopg not installed (.ci/run installs both)")


@pytest.fixture(scope="module")
def pg_url():
    with running_postgres() as url:
        yield url


def test_recommend_end_to_end_on_postgresql(pg_url, monkeypatch):
    from advisor import service
    from tests.support.profiles import instance_profile, lambda_profile

    monkeypatch.setenv("ADVISOR_DATABASE_URL", pg_url)
    service.reset_caches()
    try:
        store = service.store()
        assert store.schema_version() >= 1
        store.add_profiles([lambda_profile("ncf-recommender", m) for m in (1024, 1769, 2560)]
                           + [instance_profile("ncf-recommender", "ml.c5.large")])
        answer = service.recommend({"workload": "ncf-recommender", "sla": "p95<=60ms", "rps": 10})
        assert answer["chosen"]["platform"] in ("lambda", "sagemaker-realtime")
        assert service.get_recommendation(answer["id"])["chosen"] == answer["chosen"]
        (first,) = [p for p in store.profiles("ncf-recommender", with_measurements=True)
                    if p.config.memory_mb == 1024]
        assert len(first.measurements) == 40
        service.store().init()  # a second start migrates nothing and loses nothing
        assert len(store.profiles("ncf-recommender")) == 4
    finally:
        service.reset_caches()
