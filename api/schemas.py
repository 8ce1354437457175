"""Request schemas: one definition validates request bodies and generates /openapi.json."""

from __future__ import annotations

import re
from typing import Any

from advisor.core import platforms
from advisor.core.errors import BadInput

PLATFORM_LIST = {"oneOf": [{"type": "string", "description": "comma-separated"},
                           {"type": "array", "items": {"type": "string", "enum": list(platforms.names())}}]}

RECOMMEND = {
    "type": "object",
    "required": ["workload", "sla"],
    "properties": {
        "workload": {"type": "string", "minLength": 1, "description": "workload id", "example": "ncf-recommender"},
        "sla": {"type": "string", "minLength": 1, "description": "pNN<=VALUE or deadline<=VALUE, unit ms, s, m or h",
                "example": "p95<=250ms"},
        "rps": {"type": "number", "exclusiveMinimum": 0, "description": "throughput in requests/s (default 1)"},
        "platform": PLATFORM_LIST,
        "confidence": {"type": "number", "minimum": 0.5, "exclusiveMaximum": 1},
        "max_trials": {"type": "integer", "minimum": 1,
                       "description": "with measurements_csv: replay at most this many of the target's configs"},
        "measurements_csv": {"type": "string", "description": "a measurements CSV v1 to replay (what-if; not stored)"},
        "seed": {"type": "integer"},
        "samples": {"type": "integer", "minimum": 1, "description": "deadline SLAs: samples per epoch"},
        "epochs": {"type": "number", "exclusiveMinimum": 0, "description": "deadline SLAs: epochs (default 1)"},
        "objective": {"type": "string", "enum": ["cost", "speed", "balanced"],
                      "description": "cost: the cheapest; speed: the fastest within max_usd_month; balanced: the "
                                     "lowest weighted sum of normalised cost and latency"},
        "max_usd_month": {"type": "number", "minimum": 0, "description": "speed: the monthly budget"},
        "balance": {"type": "number", "minimum": 0, "maximum": 1, "description": "balanced: the weight on cost"},
        "traffic": {"description": "instead of rps: 'diurnal:peak=200,trough=5', 'constant:rps=40', a CSV of "
                                   "timestamp and rps, or inline [[rps, hours], ...]",
                    "oneOf": [{"type": "string", "minLength": 1},
                              {"type": "array", "minItems": 1,
                               "items": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}}]},
    },
    "additionalProperties": False,
}
WORKLOAD = {
    "type": "object",
    "required": ["id"],
    "properties": {"id": {"type": "string", "minLength": 1, "maxLength": 128},
                   "kind": {"type": "string", "enum": ["inference", "training"]},
                   "description": {"type": "string"}},
    "additionalProperties": False,
}
MODEL_UPLOAD = {  # the form fields besides the files (model, and sample when sent as a file)
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 128},
                   "sample": {"type": "string", "description": "one TF Serving request, if not sent as a file"},
                   "description": {"type": "string"},
                   "batch_size": {"type": "string", "pattern": "^[0-9]+$"},
                   "lambda_package": {"type": "string", "enum": ["zip", "image"]},
                   "kind": {"type": "string", "enum": ["inference"]}},
    "additionalProperties": False,
}
CONFIG = {
    "type": "object",
    "required": ["platform"],
    "properties": {"platform": {"type": "string", "enum": list(platforms.names())}, "memory_mb": {"type": "integer"},
                   "instance_type": {"type": "string"}, "instance_count": {"type": "integer", "minimum": 1},
                   "architecture": {"type": "string", "enum": ["x86_64", "arm64"]},
                   "channel": {"type": "string", "description": "Lambda training: the gradient channel"}},
    "additionalProperties": False,
}
PROFILE = {
    "type": "object",
    "properties": {
        "workload": {"type": "string", "description": "required unless function is given"},
        "function": {"type": "string", "description": "with backend aws: an existing Lambda function (name or "
                                                      "ARN) to tune in place; it is restored afterwards"},
        "payload": {"description": "with function: the JSON event each invocation sends"},
        "concurrency": {"type": "integer", "minimum": 1},
        "invocations": {"type": "integer", "minimum": 5},
        "backend": {"type": "string", "enum": ["local", "aws"]},
        "platform": PLATFORM_LIST,
        "strategy": {"type": "string", "enum": ["grid", "adaptive"]},
        "sla": {"type": "string", "description": "with strategy adaptive: the SLA to profile for"},
        "rps": {"type": "number", "exclusiveMinimum": 0},
        "max_trials": {"type": "integer", "minimum": 1},
        "max_usd": {"type": "number", "minimum": 0},
        "configs": {"type": "array", "items": CONFIG},
        "latency_target_ms": {"type": "number", "exclusiveMinimum": 0},
        "steps": {"type": "integer", "minimum": 2, "description": "training workloads: steps per slice"},
    },
    "additionalProperties": False,
}
TRAINING_RUN = {
    "type": "object",
    "properties": {"recommendation": {"type": "string", "minLength": 1}, "workload": {"type": "string", "minLength": 1},
                   "config": {"type": "string", "minLength": 1, "example": "lambda-training:1769"},
                   "workers": {"type": "integer", "minimum": 1, "maximum": 64},
                   "channel": {"type": "string", "example": "memcached"},
                   "steps": {"type": "integer", "minimum": 1, "maximum": 10_000_000},
                   "resume": {"type": "string", "minLength": 1},
                   "backend": {"type": "string", "enum": ["local", "aws"], "default": "local"},
                   "budget_s": {"type": "number", "minimum": 1, "description": "seconds between checkpoints"}},
    "additionalProperties": False,
}
DEPLOYMENT = {
    "type": "object",
    "required": ["recommendation"],
    "properties": {"recommendation": {"type": "string", "minLength": 1},
                   "function": {"type": "string", "description": "Lambda recommendations"},
                   "alias": {"type": "string"}, "steps": {"type": "array", "items": {"type": "number"}},
                   "endpoint": {"type": "string", "description": "SageMaker recommendations"},
                   "alarms": {"type": "array", "items": {"type": "string"}},
                   "canary_percent": {"type": "integer", "minimum": 1}},
    "additionalProperties": False,
}
SCHEDULE = {
    "type": "object",
    "required": ["workload", "sla"],
    "properties": {
        "workload": {"type": "string", "minLength": 1},
        "job": {"type": "string", "enum": ["reprofile", "import", "prices"]},
        "every": {"type": "string", "description": "a number and s, m, h or d", "example": "1d"},
        "sla": {"type": "string", "minLength": 1, "example": "p95<=250ms"},
        "rps": {"type": "number", "exclusiveMinimum": 0},
        "backend": {"type": "string", "enum": ["local", "replay"]},
        "source": {"type": "string", "description": "replay: a measurements CSV path on the server; prices: a "
                   "folder of AWS Price List files there"},
        "config": CONFIG, "function": {"type": "string"}, "endpoint": {"type": "string"},
        "action": {"type": "string", "enum": ["notify", "apply"]}, "webhook": {"type": "string"},
        "max_monthly_increase_usd": {"type": "number", "minimum": 0},
        "min_sla_margin": {"type": "number", "minimum": 0}, "quiet_hours": {"type": "string", "example": "22-06"},
    },
    "additionalProperties": False,
}
def _allow_null(schema: dict[str, Any], *names: str) -> None:
    """Let NAMES be null, meaning the default (what Config.to_dict writes for an unused size, what a client sends
    for "not given")."""
    for name in names:
        prop = schema["properties"][name]
        prop["type"] = [prop["type"], "null"]


_allow_null(RECOMMEND, "rps", "confidence", "max_trials", "seed", "samples", "epochs", "max_usd_month", "balance")
_allow_null(CONFIG, "memory_mb", "instance_type", "channel")
_allow_null(PROFILE, "rps", "max_trials", "max_usd", "latency_target_ms", "steps", "concurrency", "invocations")
_allow_null(SCHEDULE, "rps", "max_monthly_increase_usd", "min_sla_margin")

# Answers (documented, and checked by the fuzzer).
_CONFIG_OUT = {"type": "object", "required": ["platform"], "properties": {"platform": {"type": "string"}}}
RECOMMENDATION = {
    "type": "object",
    "required": ["id", "workload", "sla", "chosen", "predicted", "cost", "trials", "alternatives", "rejected", "basis"],
    "properties": {"id": {"type": "string"}, "workload": {"type": "string"}, "sla": {"type": "object"},
                   "chosen": _CONFIG_OUT, "predicted": {"type": "object"},
                   "cost": {"type": "object", "required": ["usd_per_hour", "usd_per_month"]},
                   "trials": {"type": "array"}, "alternatives": {"type": "array"},
                   "rejected": {"type": "array", "items": {"type": "object", "required": ["config", "reason"]}},
                   "basis": {"type": "object", "required": ["profiles", "prices_as_of", "model"]}},
}
JOB = {
    "type": "object",
    "required": ["id", "kind", "status", "progress"],
    "properties": {"id": {"type": "string"}, "kind": {"type": "string"},
                   "status": {"type": "string", "enum": ["queued", "running", "succeeded", "failed"]},
                   "progress": {"type": "number", "minimum": 0, "maximum": 1}},
}
WORKLOAD_LIST = {
    "type": "object", "required": ["workloads"],
    "properties": {"workloads": {"type": "array", "items": {"type": "object", "required": ["id", "kind", "profiles"]}}},
}
WORKLOAD_OUT = {"type": "object", "required": ["id", "kind", "description"],
                "properties": {"id": {"type": "string"}, "kind": {"type": "string"}}}
ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "hint", "fields"],
                             "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                            "hint": {"type": "string"},
                                            "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}},
}

_PY_TYPES = {"string": str, "number": (int, float), "integer": int, "object": dict, "array": list}


def _check(value: Any, schema: dict[str, Any], path: str, errors: dict[str, str]) -> None:
    if "oneOf" in schema:
        trial: list[dict[str, str]] = []
        for option in schema["oneOf"]:
            found: dict[str, str] = {}
            _check(value, option, path, found)
            if not found:
                return
            trial.append(found)
        errors.update(trial[0])
        return
    kind = schema.get("type")
    kinds = [k for k in (kind if isinstance(kind, list) else [kind] if kind else []) if k != "null"]
    if value is None:  # null is a value: refused unless the schema lists "null" (then it means the default)
        if kinds and not (isinstance(kind, list) and "null" in kind):
            errors[path] = "must not be null"
        return
    if kinds and (not any(isinstance(value, _PY_TYPES[k]) for k in kinds) or isinstance(value, bool)):
        errors[path] = f"must be {' or '.join(kinds)}"
        return
    kind = kinds[0] if kinds else None
    if "enum" in schema and value not in schema["enum"]:
        errors[path] = "must be one of " + ", ".join(map(str, schema["enum"]))
    if "minimum" in schema and value < schema["minimum"]:
        errors[path] = f"must be at least {schema['minimum']}"
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        errors[path] = f"must be greater than {schema['exclusiveMinimum']}"
    if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
        errors[path] = f"must be less than {schema['exclusiveMaximum']}"
    if kind == "string":
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", len(value)):
            errors[path] = f"must be {schema.get('minLength', 0)} to {schema.get('maxLength', 'any')} characters"
        elif "pattern" in schema and not re.search(schema["pattern"], value):
            errors[path] = f"must match {schema['pattern']}"
    if kind == "object" and schema.get("additionalProperties") is False:
        for name in value:
            if name not in schema.get("properties", {}):
                errors[f"{path}.{name}".lstrip(".")] = "is not a field of this request"
    if kind == "object":
        for name in schema.get("required", []):
            if value.get(name) is None:
                errors[f"{path}.{name}".lstrip(".")] = "required"
        for name, sub in schema.get("properties", {}).items():
            if name in value and name not in schema.get("required", []):
                _check(value[name], sub, f"{path}.{name}".lstrip("."), errors)
            elif value.get(name) is not None:
                _check(value[name], sub, f"{path}.{name}".lstrip("."), errors)
    if kind == "array" and "items" in schema:
        for k, item in enumerate(value):
            _check(item, schema["items"], f"{path}[{k}]", errors)


def validate(body: Any, schema: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadInput("the request body must be a JSON object", hint="send Content-Type: application/json",
                       fields={"body": "not an object"})
    errors: dict[str, str] = {}
    _check(body, schema, "", errors)
    if errors:
        first = next(iter(errors.items()))
        raise BadInput(f"invalid request: {first[0]} {first[1]}", hint="see GET /openapi.json for the schema",
                       fields=errors)
    return body
