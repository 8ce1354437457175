"""Inputs a new user and a security pass found answered badly (a 500, silently ignored, or leaking): each now gets
the error shape with the right status, and nothing is lost or shown that should not be."""

import json
import socket

import pytest

from api import create_app
from tests.support.http import error_of

TOKEN = {"Authorization": "Bearer s3cret"}


@pytest.fixture()
def client(profiled):
    return create_app({"TESTING": True}).test_client()


@pytest.mark.parametrize("path, body, field", [
    ("/recommend", {"workload": "ncf-recommender", "sla": "p95<=1s", "colour": "blue"}, "colour"),
    ("/profiles", {"workload": "ncf-recommender", "config": ["lambda:2048"]}, "config"),  # the CLI's spelling
    ("/schedules", {"workload": "ncf-recommender", "sla": "p95<=1s", "evry": "1h"}, "evry"),
    ("/deployments", {"recommendation": "rec-1", "fucntion": "f"}, "fucntion"),
])
def test_unknown_fields_are_refused_by_name(client, path, body, field):
    err = error_of(client.post(path, json=body), 400, "bad_input")
    assert field in err["fields"]


def test_a_percentile_above_p99_is_refused_up_front(client):
    err = error_of(client.post("/recommend", json={"workload": "ncf-recommender", "sla": "p99.5<=1s"}), 400)
    assert "p99.5" in err["message"] and "2,000" in err["message"] and err["fields"] == {"sla": "percentile too high"}


def test_an_oversized_csv_field_is_a_bad_input_and_a_huge_body_a_413(client):
    csv_text = "workload,platform,memory_mb,duration_ms\nw,lambda,1024," + "9" * 200_000 + "\n"
    err = error_of(client.post("/recommend", json={"workload": "w", "sla": "p95<=1s", "measurements_csv": csv_text}),
                   400)
    assert "not a readable CSV" in err["message"]
    app = create_app({"TESTING": True, "MAX_BODY_LENGTH": 100_000})
    error_of(app.test_client().post("/recommend", data="x" * 200_000, content_type="application/json"), 413)


@pytest.mark.parametrize("raw, field", [
    ('{"workload": "\\ud800", "sla": "p95<=1s"}', "workload"),
    ("[" * 2000 + "]" * 2000, "body"),
    ('{"workload": "w", "sla": "p95<=1s", "platform": ' + "[" * 100 + "]" * 100 + "}", "body"),
])
def test_json_that_cannot_be_stored_or_walked_is_a_400(client, raw, field):
    for path in ("/recommend", "/profiles", "/schedules", "/deployments"):
        err = error_of(client.post(path, data=raw, content_type="application/json"), 400)
        assert field in err["fields"], (path, err)


def test_a_blank_token_is_refused():
    from advisor.core.errors import BadInput

    with pytest.raises(BadInput):
        create_app({"API_TOKEN": " "})


def test_foreign_origins_and_host_names_are_refused(profiled):
    app = create_app({"TESTING": True, "ALLOWED_HOSTS": ("127.0.0.1:8080", "localhost:8080")})
    client = app.test_client()
    ok = client.get("/healthz", headers={"Host": "127.0.0.1:8080"})
    assert ok.status_code == 200
    error_of(client.get("/healthz", headers={"Host": "attacker.example:8080"}), 403, "forbidden")
    csv_text = "workload,platform,memory_mb,duration_ms\nw,lambda,1024,10\n"
    error_of(client.post("/profiles/import", data=csv_text, content_type="text/plain",
                         headers={"Host": "127.0.0.1:8080", "Origin": "http://attacker.example"}), 403, "forbidden")
    same = client.post("/profiles/import", data=csv_text, content_type="text/csv",
                       headers={"Host": "127.0.0.1:8080", "Origin": "http://127.0.0.1:8080"})
    assert same.status_code == 201


def test_a_405_says_which_methods_there_are(client):
    resp = client.put("/recommend", json={})
    error_of(resp, 405)
    assert "POST" in resp.headers["Allow"]


def test_secrets_in_schedules_need_the_token(profiled, tmp_path, monkeypatch):
    app = create_app({"TESTING": True, "API_TOKEN": "s3cret"})
    client = app.test_client()
    made = client.post("/schedules", headers=TOKEN, json={"workload": "ncf-recommender", "sla": "p95<=1s",
                                                          "webhook": "https://hooks.example/T0/secret"})
    assert made.status_code == 201, made.get_data(as_text=True)
    shown = client.get("/schedules").get_json()["schedules"][0]
    assert "secret" not in json.dumps(shown) and shown["webhook"].startswith("(hidden")
    assert client.get("/schedules", headers=TOKEN).get_json()["schedules"][0]["webhook"].endswith("/secret")


def test_a_schedules_source_over_http_stays_in_the_sources_folder(profiled):
    client = create_app({"TESTING": True}).test_client()
    err = error_of(client.post("/schedules", json={"workload": "ncf-recommender", "sla": "p95<=1s",
                                                   "backend": "replay", "source": "../../etc/passwd"}), 400)
    assert err["fields"] == {"source": "outside"}


def test_a_database_password_never_reaches_a_message():
    from sqlalchemy.exc import OperationalError

    from advisor.store.database import _hint_for

    exc = OperationalError("connect", {}, Exception("the database server is read-only"))
    error = _hint_for(exc, "postgresql+psycopg://advisor:hunter2@db.internal/advisor")
    assert "hunter2" not in json.dumps(error.to_dict()) and "db.internal" in error.message


def test_serve_refuses_a_taken_port_with_the_setting_to_change():
    from advisor.core.errors import BadInput
    from api.server import check_port_free

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(BadInput) as refused:
            check_port_free("127.0.0.1", taken.getsockname()[1])
    assert "--port" in refused.value.hint and "ADVISOR_PORT" in refused.value.hint


def test_the_cli_stops_quietly_when_its_reader_goes_away(data_dir):
    import subprocess
    import sys

    from advisor import service

    service.store().import_once("many", [], {f"w{k:04d}": ("inference", "x" * 80) for k in range(2000)})
    done = subprocess.run(f"{sys.executable} -m advisor.cli workloads | head -1", shell=True, capture_output=True,
                          text=True, timeout=60)
    assert done.stdout.startswith("WORKLOAD") and "bug" not in done.stderr and "Error" not in done.stderr


def test_deep_json_as_an_import_and_huge_numbers_in_a_csv_are_bad_input(client):
    err = error_of(client.post("/profiles/import?workload=w", data="[" * 3000 + "]" * 3000,
                               content_type="text/plain"), 400)
    assert err["fields"] == {"file": "too deep"}
    before = client.get("/workloads").get_json()
    csv_text = "workload,platform,memory_mb,duration_ms,concurrency\nnew-w,lambda,1024,10,1e30\n"
    err = error_of(client.post("/profiles/import", data=csv_text, content_type="text/csv"), 400)
    assert "concurrency" in err["message"] and err["fields"]["line"] == "2"
    assert client.get("/workloads").get_json() == before  # no workload left behind


def test_an_sla_bound_beyond_any_number_is_refused(client):
    err = error_of(client.post("/recommend", json={"workload": "ncf-recommender", "sla": "p95<=" + "9" * 400 + "ms"}),
                   400)
    assert err["fields"] == {"sla": "not finite"}


def test_serve_says_which_store_it_uses_and_what_it_holds(profiled, data_dir):
    from api.server import describe_store

    said = describe_store()
    assert str(data_dir / "advisor.sqlite") in said and "1 with profiles" in said and "ADVISOR_DATA_DIR" in said
