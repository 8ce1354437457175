"""Error classes. Each carries what the API needs (status, code) and what a user needs (message, hint).

The CLI and the API both render these through `AdvisorError.to_dict()`, so the error shape
`{"error": {"code", "message", "hint", "fields"}}` is defined once, here.
"""

from __future__ import annotations

from typing import Any


class AdvisorError(Exception):
    """Base class: an error a user can act on."""

    status = 500
    code = "internal"
    exit_code = 1  # CLI: 2 for bad input, 1 for a failure

    def __init__(self, message: str, hint: str = "", fields: dict[str, str] | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.fields = dict(fields or {})
        self.extra = dict(extra or {})

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "hint": self.hint,
                                "fields": self.fields}
        body.update(self.extra)
        return {"error": body}


class BadInput(AdvisorError):
    """The request cannot be understood: a field is missing, malformed or out of range."""

    status = 400
    code = "bad_input"
    exit_code = 2


class Unauthorized(AdvisorError):
    status = 401
    code = "unauthorized"
    exit_code = 2


class Forbidden(AdvisorError):
    """A request this server refuses whoever sends it (another origin, another host name)."""

    status = 403
    code = "forbidden"
    exit_code = 2


class NotFound(AdvisorError):
    """A named thing (workload, recommendation, job, instance type) does not exist."""

    status = 404
    code = "not_found"
    exit_code = 2


class Conflict(AdvisorError):
    status = 409
    code = "conflict"
    exit_code = 2


class NoFeasibleConfig(AdvisorError):
    """The SLA is well formed but no candidate meets it; `extra["closest"]` says what comes nearest."""

    status = 422
    code = "no_feasible_config"
    exit_code = 2


class NotEmulable(AdvisorError):
    """The local machine cannot hold this configuration, so it must not pretend to measure it."""

    status = 422
    code = "not_emulable"
    exit_code = 2


class StoreUnavailable(AdvisorError):
    """The database is locked, read-only or unreachable. Nothing was written."""

    status = 503
    code = "store_unavailable"
    exit_code = 1


class TrialFailed(AdvisorError):
    status = 500
    code = "trial_failed"
    exit_code = 1


class Infeasible(TrialFailed):
    """The trial showed the config cannot serve the workload (out of memory, timeout): a result, not a failure."""

    code = "infeasible"


class CredentialsMissing(AdvisorError):
    """No AWS credentials: the user's setup to fix, found before any work starts."""

    status = 400
    code = "aws_credentials_missing"
    exit_code = 2


class PermissionDenied(AdvisorError):
    """AWS refused an operation: the hint names the IAM permission to grant."""

    status = 403
    code = "permission_denied"
    exit_code = 1


class AwsUnavailable(AdvisorError):
    status = 503
    code = "aws_unavailable"
    exit_code = 1
