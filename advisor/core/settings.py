"""Every setting in one table, read from ADVISOR_* environment variables.

A test checks that each setting is documented in the README, so adding one here means documenting it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from advisor.core.errors import BadInput


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str


def _json_object(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"not valid JSON: {exc}", hint='give a JSON object, e.g. {"lambda": 0.1}') from exc
    if not isinstance(value, dict):
        raise BadInput("expected a JSON object", hint='e.g. {"lambda": 0.1}')
    return value


def _default_data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "advisor")


SETTINGS: tuple[Setting, ...] = (
    Setting("DATA_DIR", None, "Where the SQLite store and exported models live (default: $XDG_DATA_HOME/advisor)."),
    Setting("DATABASE_URL", None, "SQLAlchemy URL of the store; default a SQLite file in DATA_DIR. "
            "postgresql+psycopg://user@host/db for PostgreSQL."),
    Setting("BACKEND", "local", "Where trials run by default: local (emulated on this machine) or aws."),
    Setting("API_TOKEN", None, "Bearer token required by API endpoints that change anything; "
            "required to listen on a non-loopback address."),
    Setting("HOST", "127.0.0.1", "Address `advisor serve` binds to."),
    Setting("PORT", 8080, "Port `advisor serve` binds to.", int),
    Setting("WORKERS", 2, "WSGI worker processes for `advisor serve`.", int),
    Setting("REGION", "us-east-1", "AWS region whose prices and catalog are used, and where AWS trials run."),
    Setting("AWS_ENDPOINT_URL", None, "Endpoint of an AWS-compatible server for every AWS call (tests use moto's); "
            "unset: AWS itself."),
    Setting("AWS_ROLE_ARN", None, "Execution role of the Lambda functions that AWS trials create."),
    Setting("AWS_LAMBDA_CODE", None, "The workload's Lambda package for AWS trials: s3://bucket/key.zip or a container "
            "image URI."),
    Setting("AWS_LAMBDA_HANDLER", "advisor.workloads.handler.handler", "Handler of that package (zip packages)."),
    Setting("AWS_SAGEMAKER_IMAGE", None, "Serving container image URI for SageMaker trials (e.g. TensorFlow Serving)."),
    Setting("AWS_SAGEMAKER_MODEL_DATA", None, "s3:// URI of the model archive those endpoints load."),
    Setting("AWS_MODEL_BUCKET", None, "s3://bucket/prefix where your own models are uploaded, packaged for TF "
            "Serving, for SageMaker trials of them."),
    Setting("AWS_TRAINING_IMAGE", None, "Training container image URI for training slices and runs on SageMaker."),
    Setting("AWS_TRAINING_OUTPUT", None, "s3:// prefix where training jobs write their output (and Lambda training "
            "runs their checkpoints, when the channel is not S3)."),
    Setting("CONFIDENCE", 0.9, "Default probability with which a recommendation must meet the SLA.", float),
    Setting("HOURS_PER_MONTH", 730.0, "Hours in a billing month for monthly costs.", float),
    Setting("PRICE_LIST_URL", "https://pricing.us-east-1.amazonaws.com", "Base URL of AWS's Price List Bulk API "
            "files, which `advisor prices refresh` reads (or a folder of them in the same layout)."),
    Setting("PRICE_OVERRIDES", {}, 'JSON object of price overrides by key, e.g. {"sagemaker.ml.m5.large": 0.1}.',
            _json_object),
    Setting("DISCOUNTS", {}, 'JSON object of discount fractions per service, e.g. {"lambda": 0.17, "sagemaker": 0.3}.',
            _json_object),
    Setting("SEED", 0, "Seed for every random choice, so equal inputs give equal answers.", int),
    Setting("BOOTSTRAP_GRID", "lambda:512,1024,1769,2560,3538;sagemaker-realtime:ml.c5.large,ml.m5.large;"
            "sagemaker-serverless:1024,2048",
            "Configs profiled on first start with an empty store (`advisor serve --bootstrap`), and by `advisor "
            "profile` when no --config is given."),
    Setting("TRAINING_GRID", "lambda-training:1024,1769,3008;sagemaker-training:ml.c5.large,ml.m5.large",
            "Configs a training workload's slices run on (`advisor profile` of a training workload)."),
    Setting("TRAINING_CHANNELS", "",
            "Gradient channels to probe in Lambda training slices: memcached=HOST:PORT;s3=BUCKET;dynamodb=TABLE."),
    Setting("SCHEDULER_LOCK_TTL_S", 30.0,
            "Seconds without a heartbeat after which another scheduler process takes the lock over.", float),
    Setting("ANSWER_RETENTION_DAYS", 30.0, "Stored recommendations older than this are pruned, unless a deployment "
            "refers to them.", float),
    Setting("MAX_BODY_MB", 16, "Largest JSON or CSV request body the API accepts, in MB (model uploads: "
            "ADVISOR_MAX_UPLOAD_MB).", int),
    Setting("MAX_UPLOAD_MB", 512, "Largest request body the API accepts, in MB (a model uploaded to POST "
            "/workloads is the largest).", int),
    Setting("LOG_LEVEL", "INFO", "Logging level."),
)


def get(name: str) -> Any:
    """The value of setting NAME (without the ADVISOR_ prefix), parsed, or its default."""
    for setting in SETTINGS:
        if setting.name == name:
            raw = os.environ.get("ADVISOR_" + name)
            if raw is None or raw == "":
                if name == "DATA_DIR":
                    return _default_data_dir()
                return setting.default
            try:
                return setting.parse(raw)
            except BadInput as exc:
                raise BadInput(f"ADVISOR_{name}: {exc.message}", hint=exc.hint) from exc
            except ValueError as exc:
                raise BadInput(f"ADVISOR_{name}={raw!r} is not valid: {exc}", hint=setting.help) from exc
    raise KeyError(name)


def database_url() -> str:
    url = get("DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(Path(get("DATA_DIR")) / "advisor.sqlite")
