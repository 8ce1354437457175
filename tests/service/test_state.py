"""The service's state lives on an object its front end owns, not in module globals: two Flask apps on two
databases in one process each answer from their own store, and a profiling job's thread keeps its caller's."""

from advisor import service
from advisor.service.state import State, activate, current, deactivate
from api import create_app
from tests.support.profiles import lambda_profile


def _profiles_of(app, workload="ncf-recommender"):
    return len(app.test_client().get(f"/workloads/{workload}").get_json()["profiles"])


def test_two_apps_in_one_process_keep_their_own_stores(data_dir, tmp_path_factory):
    url_a = "sqlite:///" + str(tmp_path_factory.mktemp("a") / "advisor.sqlite")
    url_b = "sqlite:///" + str(tmp_path_factory.mktemp("b") / "advisor.sqlite")
    app_a, app_b = create_app({"DATABASE_URL": url_a}), create_app({"DATABASE_URL": url_b})
    app_a.extensions["advisor"].store.add_profiles([lambda_profile("ncf-recommender", m) for m in (1024, 2048)])
    assert app_a.extensions["advisor"].database_url == url_a
    assert (_profiles_of(app_a), _profiles_of(app_b)) == (2, 0)
    assert current().database_url not in (url_a, url_b)  # a request's state does not outlive the request


def test_an_activated_state_is_what_the_service_uses_until_deactivated(data_dir, tmp_path):
    other = State("sqlite:///" + str(tmp_path / "other.sqlite"))
    token = activate(other)
    try:
        assert service.store() is other.store
    finally:
        deactivate(token)
    assert service.store() is not other.store
