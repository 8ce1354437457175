"""Find and delete what trials left behind on AWS: resources tagged `advisor:trial`, older than an age.

Trials delete their resources in a `finally`, so leftovers come only from a process that was killed outright
(SIGKILL, a lost machine). Lambda functions and SageMaker endpoints, endpoint configs and models are covered.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from typing import Any

from advisor.core.aws import translated
from advisor.core.errors import BadInput

TRIAL_TAG = "advisor:trial"
_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")


def parse_age(text: str) -> float:
    """'90m', '2h', '1d' -> seconds."""
    match = _AGE.match(text or "")
    if not match:
        raise BadInput(f"cannot read the age {text!r}", hint="a number and a unit s, m, h or d, e.g. 2h",
                       fields={"older_than": "unparseable"})
    return float(match[1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match[2]]


@dataclass(frozen=True)
class Leftover:
    kind: str  # lambda-function, sagemaker-endpoint, sagemaker-endpoint-config, sagemaker-model
    name: str
    arn: str
    trial: str
    created: str  # ISO 8601, UTC
    age_s: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _when(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    text = str(value).replace("Z", "+00:00")
    text = re.sub(r"\.(\d{6})\d*", r".\1", text)  # Lambda's LastModified has nanoseconds
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)  # and +0000 rather than +00:00
    return dt.datetime.fromisoformat(text)


def _tag(tags: Any) -> str | None:
    if isinstance(tags, dict):
        return tags.get(TRIAL_TAG)
    return next((t["Value"] for t in tags or [] if t.get("Key") == TRIAL_TAG), None)


def find(lambda_client: Any, sagemaker_client: Any, older_than_s: float, now: dt.datetime | None = None) -> list[Leftover]:
    now = now or dt.datetime.now(dt.timezone.utc)
    found: list[Leftover] = []

    def keep(kind: str, name: str, arn: str, trial: str | None, created: Any) -> None:
        when = _when(created)
        age = (now - when).total_seconds()
        if trial and age >= older_than_s:
            found.append(Leftover(kind, name, arn, trial, when.isoformat(), age))

    if lambda_client is not None:
        with translated("lambda", "ListFunctions"):
            functions = [fn for page in lambda_client.get_paginator("list_functions").paginate()
                         for fn in page["Functions"]]
        for fn in functions:
            with translated("lambda", "ListTags"):
                tags = lambda_client.list_tags(Resource=fn["FunctionArn"]).get("Tags", {})
            keep("lambda-function", fn["FunctionName"], fn["FunctionArn"], _tag(tags), fn["LastModified"])
    if sagemaker_client is not None:
        with translated("sagemaker", "ListEndpoints"):
            endpoints = sagemaker_client.list_endpoints().get("Endpoints", [])
        with translated("sagemaker", "ListEndpointConfigs"):
            configs = sagemaker_client.list_endpoint_configs().get("EndpointConfigs", [])
        with translated("sagemaker", "ListModels"):
            models = sagemaker_client.list_models().get("Models", [])
        for kind, items, name_key, arn_key in (
                ("sagemaker-endpoint", endpoints, "EndpointName", "EndpointArn"),
                ("sagemaker-endpoint-config", configs, "EndpointConfigName", "EndpointConfigArn"),
                ("sagemaker-model", models, "ModelName", "ModelArn")):
            for item in items:
                with translated("sagemaker", "ListTags"):
                    tags = sagemaker_client.list_tags(ResourceArn=item[arn_key]).get("Tags", [])
                keep(kind, item[name_key], item[arn_key], _tag(tags), item["CreationTime"])
    return sorted(found, key=lambda x: (x.kind, x.name))


def delete(leftovers: list[Leftover], lambda_client: Any, sagemaker_client: Any) -> list[str]:
    """Delete each leftover (endpoints before their configs and models); return what was deleted."""
    order = {"sagemaker-endpoint": 0, "sagemaker-endpoint-config": 1, "sagemaker-model": 2, "lambda-function": 3}
    deleted = []
    for item in sorted(leftovers, key=lambda x: order[x.kind]):
        if item.kind == "lambda-function":
            with translated("lambda", "DeleteFunction"):
                lambda_client.delete_function(FunctionName=item.name)
        elif item.kind == "sagemaker-endpoint":
            with translated("sagemaker", "DeleteEndpoint"):
                sagemaker_client.delete_endpoint(EndpointName=item.name)
        elif item.kind == "sagemaker-endpoint-config":
            with translated("sagemaker", "DeleteEndpointConfig"):
                sagemaker_client.delete_endpoint_config(EndpointConfigName=item.name)
        else:
            with translated("sagemaker", "DeleteModel"):
                sagemaker_client.delete_model(ModelName=item.name)
        deleted.append(f"{item.kind}/{item.name}")
    return deleted
