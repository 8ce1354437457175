"""The API as users get it: gunicorn in its own process, on loopback."""

import subprocess
import sys

from api.server import check_bind, is_loopback
from tests.support.servers import call, running_server


def test_served_by_gunicorn_end_to_end(profiled, data_dir):
    with running_server(data_dir) as base:
        status, body = call(base, "/recommend", {"workload": "ncf-recommender", "sla": "p95<=60ms", "rps": 20})
        assert status == 200 and body["chosen"]["platform"]
        status, again = call(base, f"/recommendations/{body['id']}")
        assert status == 200 and again["id"] == body["id"]
        status, err = call(base, "/recommend", {"workload": "ncf-recommender", "sla": "p95<=soon"})
        assert status == 400 and err["error"]["fields"] == {"sla": "unparseable"}


def test_token_required_over_http(profiled, data_dir):
    with running_server(data_dir, workers=1, extra_env={"ADVISOR_API_TOKEN": "t0ken"}) as base:
        status, _ = call(base, "/workloads", {"id": "new-one"})
        assert status == 401
        status, _ = call(base, "/workloads", {"id": "new-one"}, headers={"Authorization": "Bearer t0ken"})
        assert status == 201


def test_refuses_a_public_address_without_a_token(data_dir):
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0")
    done = subprocess.run([sys.executable, "-m", "advisor.cli", "serve", "--host", "0.0.0.0", "--port", "1"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "refusing to listen on 0.0.0.0" in done.stderr and "ADVISOR_API_TOKEN" in done.stderr
    check_bind("0.0.0.0", "a-token")  # with a token it is allowed
