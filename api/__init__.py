"""The HTTP API and web page: a Flask app factory, thin over advisor.service."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException

from advisor.core import settings
from advisor.core.errors import AdvisorError, BadInput, Unauthorized


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(API_TOKEN=settings.get("API_TOKEN"), JSON_SORT_KEYS=False,
                      MAX_CONTENT_LENGTH=int(settings.get("MAX_UPLOAD_MB")) * 1024 * 1024)
    app.config.update(config or {})
    app.json.sort_keys = False  # type: ignore[attr-defined]

    from advisor.service.state import State, activate, deactivate
    from api import resources, web

    app.extensions["advisor"] = State(app.config.get("DATABASE_URL"))  # this app's store and caches
    app.register_blueprint(resources.bp)
    app.register_blueprint(web.bp)

    @app.before_request
    def use_this_apps_state() -> None:
        g.advisor_state_token = activate(app.extensions["advisor"])

    @app.teardown_request
    def forget_this_apps_state(exc: BaseException | None) -> None:
        token = g.pop("advisor_state_token", None)
        if token is not None:
            deactivate(token)

    @app.before_request
    def require_token() -> Any:
        token = app.config.get("API_TOKEN")
        changes = request.method in ("POST", "PUT", "PATCH", "DELETE") and request.endpoint not in resources.READ_ONLY_POSTS
        if token and changes:
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                raise Unauthorized("this endpoint changes the store and needs the API token",
                                   hint="send the header 'Authorization: Bearer <ADVISOR_API_TOKEN>'")
        return None

    @app.errorhandler(AdvisorError)
    def advisor_error(exc: AdvisorError) -> Any:
        return jsonify(exc.to_dict()), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        hints = {404: "see GET /openapi.json for the endpoints", 405: "see GET /openapi.json for the methods",
                 413: "the server takes bodies up to ADVISOR_MAX_UPLOAD_MB", 415: "send Content-Type: application/json"}
        body = {"error": {"code": (exc.name or "error").lower().replace(" ", "_"), "message": exc.description or "",
                          "hint": hints.get(exc.code or 0, ""), "fields": {}}}
        return jsonify(body), exc.code or 500

    @app.errorhandler(Exception)
    def internal_error(exc: Exception) -> Any:
        app.logger.exception("unhandled error")
        body = {"error": {"code": "internal", "message": f"internal error: {type(exc).__name__}",
                          "hint": "this is a bug; the server log has the details", "fields": {}}}
        return jsonify(body), 500

    return app


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a BadInput that says what is wrong with it."""
    data = request.get_json(silent=True)
    if data is None:
        raw = request.get_data(as_text=True)
        raise BadInput("the request body is not valid JSON" if raw.strip() else "the request body is empty",
                       hint="send a JSON object with Content-Type: application/json", fields={"body": "invalid JSON"})
    return data
