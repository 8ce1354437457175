"""One inference handler, three ways in: a Lambda `handler(event, context)`, a SageMaker serving app
(`GET /ping`, `POST /invocations`), and the local backend's trial worker. All call `predict`, which answers a
TensorFlow Serving body ({"instances"} or {"inputs"}: any user model) or the reference recommender's own request
({"user_ids", "item_ids"}).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

_MODEL: Any = None
MODEL_PATH_ENV = "ADVISOR_MODEL_PATH"  # Lambda: set on the function; SageMaker: defaults to /opt/ml/model


class BadRequest(ValueError):
    """The payload is not a scoring request."""


def _model() -> Any:
    global _MODEL
    if _MODEL is None:
        from advisor.workloads import user_model

        path = os.environ.get(MODEL_PATH_ENV) or "/opt/ml/model/model.keras"
        _MODEL = user_model.load(Path(path))
    return _MODEL


def parse(payload: Any) -> tuple[list[int], list[int]]:
    if isinstance(payload, (str, bytes)):
        try:
            payload = json.loads(payload)
        except json.JSONDecodeError as exc:
            raise BadRequest(f"body is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise BadRequest("body must be a JSON object with user_ids and item_ids")
    users, items = payload.get("user_ids"), payload.get("item_ids")
    if not isinstance(users, list) or not isinstance(items, list) or len(users) != len(items) or not users:
        raise BadRequest("user_ids and item_ids must be non-empty lists of equal length")
    return users, items


def predict(model: Any, payload: Any) -> Any:
    """A TF Serving body's answer, or the scores of each (user, item) pair of a recommender request."""
    import numpy as np

    from advisor.workloads import user_model

    if isinstance(payload, (str, bytes)):
        try:
            payload = json.loads(payload)
        except json.JSONDecodeError as exc:
            raise BadRequest(f"body is not JSON: {exc}") from exc
    if user_model.is_serving_body(payload):
        try:
            return user_model.answer(model, payload)
        except user_model.BadRequestBody as exc:
            raise BadRequest(str(exc)) from exc
    users, items = parse(payload)
    scores = model({"user": np.asarray(users, dtype="int32"), "item": np.asarray(items, dtype="int32")})
    return [float(s) for s in np.asarray(scores).reshape(-1)]


def _answer_body(result: Any) -> dict[str, Any]:
    return result if isinstance(result, dict) else {"scores": result}


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """AWS Lambda entry point. Accepts a direct invocation or an API Gateway/function URL event."""
    proxied = isinstance(event, dict) and "body" in event
    try:
        body = _answer_body(predict(_model(), event["body"] if proxied else event))
    except BadRequest as exc:
        body = {"error": str(exc)}
        return {"statusCode": 400, "body": json.dumps(body)} if proxied else body
    return {"statusCode": 200, "body": json.dumps(body)} if proxied else body


def serving_app(model_path: str | None = None) -> Any:
    """The SageMaker serving contract: GET /ping and POST /invocations on port 8080."""
    from flask import Flask, jsonify, request

    if model_path:
        os.environ[MODEL_PATH_ENV] = model_path
    app = Flask("advisor-serving")

    @app.get("/ping")
    def ping() -> Any:
        _model()
        return "", 200

    @app.post("/invocations")
    def invocations() -> Any:
        try:
            return jsonify(_answer_body(predict(_model(), request.get_data())))
        except BadRequest as exc:
            return jsonify({"error": str(exc)}), 400

    return app
