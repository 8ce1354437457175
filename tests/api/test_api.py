"""The API over Flask's test client: contracts, the error shape for every bad input, the token."""


import pytest

from api import create_app
from tests.support.http import error_of as _error


@pytest.fixture()
def client(profiled):
    return create_app({"TESTING": True}).test_client()


def test_recommend_answers_the_contract_shape(client):
    resp = client.post("/recommend", json={"workload": "ncf-recommender", "sla": "p95<=250ms", "rps": 40})
    assert resp.status_code == 200
    body = resp.get_json()
    for key in ("chosen", "predicted", "cost", "trials", "alternatives", "rejected", "basis"):
        assert key in body
    assert {"platform", "memory_mb", "instance_type", "instance_count", "architecture"} <= set(body["chosen"])
    assert len(body["predicted"]["interval"]) == 2
    assert {"usd_per_hour", "usd_per_1k_requests", "usd_per_month", "usd_total"} <= set(body["cost"])
    assert {"profiles", "prices_as_of", "model"} <= set(body["basis"])
    assert all(r["reason"] for r in body["rejected"])
    again = client.get(f"/recommendations/{body['id']}")
    assert again.status_code == 200 and again.get_json()["chosen"] == body["chosen"]
    # the same inputs give the same answer and the same id
    assert client.post("/recommend", json={"workload": "ncf-recommender", "sla": "p95<=250ms", "rps": 40}
                       ).get_json()["id"] == body["id"]


def test_the_answer_changes_with_the_sla(client):
    loose = client.post("/recommend", json={"workload": "ncf-recommender", "sla": "p95<=60ms", "rps": 5}).get_json()
    tight = client.post("/recommend", json={"workload": "ncf-recommender", "sla": "p95<=14ms", "rps": 5}).get_json()
    assert loose["chosen"] != tight["chosen"]


@pytest.mark.parametrize("body, status, code, field", [
    ({"workload": "nope", "sla": "p95<=250ms"}, 404, "not_found", "workload"),
    ({"workload": "ncf-recommender", "sla": "p95<=fast"}, 400, "bad_input", "sla"),
    ({"workload": "ncf-recommender", "sla": "p95<=-3ms"}, 400, "bad_input", "sla"),
    ({"workload": "ncf-recommender", "sla": "p95<=250ms", "platform": "mainframe"}, 400, "bad_input", "platform"),
    ({"workload": "ncf-recommender", "sla": "p95<=250ms", "rps": "lots"}, 400, "bad_input", "rps"),
    ({"workload": "ncf-recommender", "sla": "p95<=250ms", "rps": -1}, 400, "bad_input", "rps"),
    ({"workload": "ncf-recommender"}, 400, "bad_input", "sla"),
    ({"workload": "ncf-recommender", "sla": "p95<=0.001ms", "rps": 5}, 422, "no_feasible_config", "sla"),
])
def test_bad_recommend_requests_get_the_error_shape(client, body, status, code, field):
    err = _error(client.post("/recommend", json=body), status, code)
    assert field in err["fields"]
    assert err["hint"]


def test_unmeetable_sla_names_the_closest_configs(client):
    err = _error(client.post("/recommend", json={"workload": "ncf-recommender", "sla": "p95<=1ms"}), 422)
    assert err["closest"] and all("reaches_ms" in c for c in err["closest"])


def test_malformed_json_and_unknown_routes(client):
    err = _error(client.post("/recommend", data="{not json", content_type="application/json"), 400, "bad_input")
    assert "JSON" in err["message"]
    _error(client.post("/recommend", data="[1, 2]", content_type="application/json"), 400, "bad_input")
    _error(client.get("/no/such/thing"), 404)
    _error(client.delete("/healthz"), 405)
    _error(client.get("/recommendations/rec-missing"), 404, "not_found")
    _error(client.get("/jobs/job-missing"), 404, "not_found")


def test_unknown_instance_type_in_a_profile_request(client):
    err = _error(client.post("/profiles", json={"workload": "ncf-recommender", "configs": [
        {"platform": "sagemaker-realtime", "instance_type": "ml.c5.huge"}]}), 404, "not_found")
    assert "instance_type" in err["fields"]


def test_profile_request_validation(client):
    _error(client.post("/profiles", json={"workload": "ncf-recommender", "strategy": "psychic"}), 400, "bad_input")
    _error(client.post("/profiles", json={"workload": "unknown-one"}), 404, "not_found")


def test_workloads_and_openapi(client):
    names = [w["id"] for w in client.get("/workloads").get_json()["workloads"]]
    assert "ncf-recommender" in names
    created = client.post("/workloads", json={"id": "my-model", "kind": "inference"})
    assert created.status_code == 201
    _error(client.post("/workloads", json={"id": "bad id!"}), 400, "bad_input")
    detail = client.get("/workloads/ncf-recommender").get_json()
    assert len(detail["profiles"]) == 6
    doc = client.get("/openapi.json").get_json()
    assert doc["components"]["schemas"]["Recommend"]["required"] == ["workload", "sla"]
    assert "/recommend" in doc["paths"] and client.get("/healthz").get_json() == {"status": "ok"}


def test_token_guards_changes_but_not_reads(profiled):
    app = create_app({"TESTING": True, "API_TOKEN": "s3cret"})
    client = app.test_client()
    _error(client.post("/workloads", json={"id": "x"}), 401, "unauthorized")
    _error(client.post("/workloads", json={"id": "x"}, headers={"Authorization": "Bearer wrong"}), 401)
    ok = client.post("/workloads", json={"id": "x"}, headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 201
    assert client.get("/workloads").status_code == 200
    assert client.post("/recommend", json={"workload": "ncf-recommender", "sla": "p95<=250ms"}).status_code == 200


def test_index_page_lists_workloads(client):
    page = client.get("/").get_data(as_text=True)
    assert "ncf-recommender" in page
    detail = client.get("/ui/workloads/ncf-recommender").get_data(as_text=True)
    assert "lambda/1024MB/x86_64" in detail and "chart.js" in detail
    _error(client.get("/ui/workloads/nope"), 404)


def test_every_route_is_in_the_openapi_document(client):
    doc = client.get("/openapi.json").get_json()
    app = client.application
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("web."):
            continue
        path = str(rule).replace("<", "{").replace(">", "}")
        path = "/".join("{id}" if part.startswith("{") else part for part in path.split("/"))
        methods = {m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}}
        assert path in doc["paths"], path
        assert methods <= set(doc["paths"][path]), (path, methods)


def test_an_unusable_store_is_a_503_with_the_error_shape(tmp_path, monkeypatch):
    from advisor import service

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(blocker / "sub"))
    service.reset_caches()
    try:
        client = create_app({"TESTING": True}).test_client()
        err = _error(client.get("/workloads"), 503, "store_unavailable")
        assert "ADVISOR_DATA_DIR" in err["hint"]
        _error(client.post("/recommend", json={"workload": "w", "sla": "p95<=1s"}), 503, "store_unavailable")
    finally:
        service.reset_caches()
