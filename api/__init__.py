"""The HTTP API and web page: a Flask app factory, thin over advisor.service."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException

from advisor.core import settings
from advisor.core.errors import AdvisorError, BadInput, Forbidden, Unauthorized


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(API_TOKEN=settings.get("API_TOKEN"), JSON_SORT_KEYS=False,
                      MAX_CONTENT_LENGTH=int(settings.get("MAX_UPLOAD_MB")) * 1024 * 1024,
                      MAX_BODY_LENGTH=int(settings.get("MAX_BODY_MB")) * 1024 * 1024)
    app.config.update(config or {})
    app.json.sort_keys = False  # type: ignore[attr-defined]
    token = app.config.get("API_TOKEN")
    if token is not None and (not token.strip() or token != token.strip()):
        raise BadInput("ADVISOR_API_TOKEN is blank or has surrounding spaces", hint="set it to a secret of "
                       "visible characters, or unset it", fields={"ADVISOR_API_TOKEN": "blank"})

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
    def limit_body() -> None:
        """Only a model upload may be large; every other body is held to ADVISOR_MAX_BODY_MB."""
        if request.endpoint != "resources.create_workload":
            request.max_content_length = min(app.config["MAX_BODY_LENGTH"], app.config["MAX_CONTENT_LENGTH"])

    @app.before_request
    def same_origin_only() -> Any:
        """A loopback server answers its own host names only (DNS rebinding), and nothing that changes the store
        comes from a page of another origin (cross-site requests carry an Origin header)."""
        allowed = app.config.get("ALLOWED_HOSTS")
        if allowed and request.host not in allowed:
            raise Forbidden(f"this server does not answer for host {request.host[:80]!r}",
                            hint="use http://127.0.0.1:PORT/", fields={"Host": "not this server"})
        origin = request.headers.get("Origin")
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and origin and origin != request.host_url.rstrip("/"):
            raise Forbidden(f"requests from {origin[:80]!r} may not change this server's store",
                            hint="call the API from the same origin, or from a script (no Origin header)",
                            fields={"Origin": "foreign"})
        return None

    @app.before_request
    def require_token() -> Any:
        changes = request.method in ("POST", "PUT", "PATCH", "DELETE") and request.endpoint not in resources.READ_ONLY_POSTS
        if changes:
            if not has_token():
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
        kept = {k: v for k, v in exc.get_headers() if k.lower() == "allow"}  # a 405 says which methods there are
        return jsonify(body), exc.code or 500, kept

    @app.errorhandler(Exception)
    def internal_error(exc: Exception) -> Any:
        app.logger.exception("unhandled error")
        body = {"error": {"code": "internal", "message": f"internal error: {type(exc).__name__}",
                          "hint": "this is a bug; the server log has the details", "fields": {}}}
        return jsonify(body), 500

    return app


def has_token() -> bool:
    """Whether this request carries the API token, or the server has none (compared in constant time)."""
    from flask import current_app

    token = current_app.config.get("API_TOKEN")
    if not token:
        return True
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


MAX_JSON_DEPTH = 32


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a BadInput that says what is wrong with it (not JSON, nested too deep, text
    that is not Unicode)."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        data, deep = None, True
    else:
        deep = data is not None and _too_deep(data, MAX_JSON_DEPTH)
    if deep:
        raise BadInput(f"the request body nests deeper than {MAX_JSON_DEPTH} levels", hint="send a flat JSON object",
                       fields={"body": "too deep"})
    bad = _unencodable(data)
    if bad:
        raise BadInput(f"{bad} holds text that is not valid Unicode (a lone surrogate)", hint="send UTF-8 text",
                       fields={bad: "not Unicode"})
    if data is None:
        raw = request.get_data(as_text=True)
        raise BadInput("the request body is not valid JSON" if raw.strip() else "the request body is empty",
                       hint="send a JSON object with Content-Type: application/json", fields={"body": "invalid JSON"})
    return data


def _too_deep(value: Any, left: int) -> bool:
    if left < 0:
        return True
    if isinstance(value, dict):
        return any(_too_deep(v, left - 1) for v in value.values())
    if isinstance(value, list):
        return any(_too_deep(v, left - 1) for v in value)
    return False


def _unencodable(value: Any, path: str = "body") -> str | None:
    """The path of the first string (key or value) that UTF-8 cannot encode, or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        where = f"{path}.{key}" if isinstance(key, str) else f"{path}[{key}]"
        if isinstance(key, str) and _unencodable(key, path):
            return path
        found = _unencodable(item, where)
        if found:
            return found.removeprefix("body.")
    return None
