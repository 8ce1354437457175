"""The OpenAPI document, built from the same schemas that validate requests."""

from __future__ import annotations

from typing import Any

from advisor import __version__
from api import schemas


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            for c in codes}


def _body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}


def _ok(description: str, code: int = 200, schema: str | None = None) -> dict[str, Any]:
    shape = {"$ref": f"#/components/schemas/{schema}"} if schema else {"type": "object"}
    return {str(code): {"description": description, "content": {"application/json": {"schema": shape}}}}


COMMON_ERRORS = (403, 503)  # any request: a host name or origin refused; the store unavailable
CHANGE_ERRORS = (400, 401, 413)  # a request with a body that changes something: bad input, no token, too large


def document() -> dict[str, Any]:
    """The document, each operation's responses completed with the errors every request can meet."""
    doc = _document()
    for item in doc["paths"].values():
        for method, operation in item.items():
            codes = COMMON_ERRORS + (CHANGE_ERRORS if method in ("post", "delete") else ())
            operation["responses"] = {**_errors(*codes), **operation["responses"]}
    return doc


def _document() -> dict[str, Any]:
    secured = [{"bearer": []}]
    return {
        "openapi": "3.1.0",
        "info": {"title": "Cost-aware deployment advisor", "version": __version__},
        "paths": {
            "/healthz": {"get": {"summary": "Liveness", "responses": _ok("ok")}},
            "/recommend": {"post": {"summary": "The cheapest config that meets an SLA", "requestBody": _body("Recommend"),
                                    "responses": {**_ok("a recommendation", schema="Recommendation"),
                                                  **_errors(400, 404, 422, 503)}}},
            "/recommendations/{id}": {"get": {"summary": "A stored recommendation",
                                              "parameters": [{"name": "id", "in": "path", "required": True,
                                                              "schema": {"type": "string"}}],
                                              "responses": {**_ok("the recommendation", schema="Recommendation"),
                                                            **_errors(404)}}},
            "/workloads": {"get": {"summary": "Workloads", "responses": _ok("workloads", schema="WorkloadList")},
                           "post": {"summary": "Register a workload known by its measurements (JSON), or add your "
                                               "own model (multipart: the file 'model', a .keras file or a .zip/.tar.gz "
                                               "of a SavedModel directory, and 'sample', one TF Serving request)",
                                    "security": secured,
                                    "requestBody": {"required": True, "content": {
                                        "application/json": {"schema": {"$ref": "#/components/schemas/Workload"}},
                                        "multipart/form-data": {"schema": {
                                            **schemas.MODEL_UPLOAD,
                                            "properties": {**schemas.MODEL_UPLOAD["properties"],
                                                           "model": {"type": "string", "format": "binary"}},
                                            "required": ["name", "model"]}}}},
                                    "responses": {**_ok("the model is already there, unchanged"),
                                                  **_ok("created", 201), **_errors(400, 401, 403, 409, 413)}}},
            "/workloads/{id}": {"get": {"summary": "A workload and its profiles",
                                        "parameters": [{"name": "id", "in": "path", "required": True,
                                                        "schema": {"type": "string"}}],
                                        "responses": {**_ok("the workload", schema="WorkloadOut"), **_errors(404)}},
                                "delete": {"summary": "Remove a workload you added, with its profiles and answers",
                                           "security": secured,
                                           "parameters": [{"name": "id", "in": "path", "required": True,
                                                           "schema": {"type": "string"}}],
                                           "responses": {**_ok("removed"), **_errors(401, 404, 409)}}},
            "/workloads/{id}/compare": {"get": {
                "summary": "Each platform family's cheapest config meeting a latency SLA over a range of traffic, "
                           "and the traffic where the cheapest family changes",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                               {"name": "sla", "in": "query", "required": True,
                                "schema": {"type": "string", "minLength": 1, "example": "p95<=250ms"}},
                               {"name": "rps_range", "in": "query", "required": False,
                                "schema": {"type": "string", "example": "0.1..5000"}},
                               {"name": "platform", "in": "query", "required": False, "schema": {"type": "string"}},
                               {"name": "points_per_decade", "in": "query", "required": False,
                                "schema": {"type": "integer", "minimum": 2, "maximum": 100}},
                               {"name": "confidence", "in": "query", "required": False,
                                "schema": {"type": "number", "minimum": 0.5, "exclusiveMaximum": 1}},
                               {"name": "traffic", "in": "query", "required": False,
                                "schema": {"type": "string", "example": "diurnal:peak=200,trough=5"}}],
                "responses": {**_ok("the comparison"), **_errors(400, 404, 422)}}},
            "/profiles": {"post": {"summary": "Start a profiling job", "security": secured,
                                   "requestBody": _body("Profile"),
                                   "responses": {**_ok("the job, queued", 202, "Job"), **_errors(400, 401, 404)}}},
            "/profiles/import": {"post": {"summary": "Import measurements (CSV v1, CloudWatch REPORT lines, Power "
                                                     "Tuning output, Inference Recommender results), all or nothing",
                                          "security": secured,
                                          "parameters": [{"name": n, "in": "query", "required": False,
                                                          "schema": {"type": "string"}}
                                                         for n in ("format", "workload", "architecture")],
                                          "requestBody": {"required": True, "content": {
                                              "text/csv": {"schema": {"type": "string"}},
                                              "text/plain": {"schema": {"type": "string"}},
                                              "application/json": {"schema": {"type": "object"}}}},
                                          "responses": {**_ok("the same import was made before: nothing changed"),
                                                        **_ok("what was imported", 201), **_errors(400, 401)}}},
            "/deployments": {"post": {"summary": "Plan a deployment (changes nothing)", "security": secured,
                                      "requestBody": _body("Deployment"),
                                      "responses": {**_ok("the plan", 201), **_errors(400, 401, 404)}}},
            "/deployments/{id}": {"get": {"summary": "A plan and its status",
                                          "parameters": [{"name": "id", "in": "path", "required": True,
                                                          "schema": {"type": "string"}}],
                                          "responses": {**_ok("the plan"), **_errors(404)}}},
            "/deployments/{id}/apply": {"post": {"summary": "Apply exactly that plan, with rollback", "security": secured,
                                                 "parameters": [{"name": "id", "in": "path", "required": True,
                                                                 "schema": {"type": "string"}}],
                                                 "responses": {**_ok("what was done"), **_errors(401, 404, 409, 500)}}},
            "/training-runs": {"get": {"summary": "Training runs, newest first, as `advisor runs`",
                                       "responses": _ok("the runs")},
                               "post": {"summary": "Start a training run as `advisor train`: on this server (backend "
                                                   "local) or on AWS (backend aws)", "security": secured,
                                        "requestBody": _body("TrainingRun"),
                                        "responses": {**_ok("the run, started", 202, "Job"),
                                                      **_errors(400, 401, 404, 409)}}},
            "/training-runs/{id}": {"get": {"summary": "A training run: status, progress, measured against predicted",
                                            "parameters": [{"name": "id", "in": "path", "required": True,
                                                            "schema": {"type": "string"}}],
                                            "responses": {**_ok("the run", schema="Job"), **_errors(404)}}},
            "/jobs/{id}": {"get": {"summary": "A job's status and result",
                                   "parameters": [{"name": "id", "in": "path", "required": True,
                                                   "schema": {"type": "string"}}],
                                   "responses": {**_ok("the job", schema="Job"), **_errors(404)}}},
            "/schedules": {"get": {"summary": "Every schedule", "responses": _ok("the schedules")},
                           "post": {"summary": "Add a periodic re-profile, import or price refresh", "security": secured,
                                    "requestBody": _body("Schedule"),
                                    "responses": {**_ok("the schedule", 201), **_errors(400, 401, 404)}}},
            "/schedules/{id}": {"delete": {"summary": "Remove a schedule and its runs", "security": secured,
                                           "parameters": [{"name": "id", "in": "path", "required": True,
                                                           "schema": {"type": "string"}}],
                                           "responses": {**_ok("removed"), **_errors(401, 404)}}},
            "/schedules/{id}/runs": {"get": {"summary": "A schedule's runs: outcome, duration, what changed",
                                             "parameters": [{"name": "id", "in": "path", "required": True,
                                                             "schema": {"type": "string"}}],
                                             "responses": {**_ok("the runs"), **_errors(404)}}},
            "/openapi.json": {"get": {"summary": "This document", "responses": _ok("OpenAPI 3")}},
        },
        "components": {
            "schemas": {"Recommend": schemas.RECOMMEND, "Workload": schemas.WORKLOAD, "Profile": schemas.PROFILE,
                        "Config": schemas.CONFIG, "Deployment": schemas.DEPLOYMENT, "Schedule": schemas.SCHEDULE,
                        "Error": schemas.ERROR, "Recommendation": schemas.RECOMMENDATION, "Job": schemas.JOB,
                        "WorkloadList": schemas.WORKLOAD_LIST, "WorkloadOut": schemas.WORKLOAD_OUT,
                        "TrainingRun": schemas.TRAINING_RUN},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "required when ADVISOR_API_TOKEN is set"}},
        },
    }
