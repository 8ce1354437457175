"""boto3 clients configured the standard way (credentials chain, region, optional endpoint URL) and the
translation of AWS errors into errors a user can act on. boto3 is imported here, lazily, and nowhere above it."""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Any, Iterator

from advisor.core import settings
from advisor.core.errors import AwsUnavailable, CredentialsMissing, PermissionDenied, TrialFailed

CREDENTIALS_HINT = ("configure AWS credentials the standard way: AWS_PROFILE, AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY, or an instance role")


def client(service: str, region: str | None = None, endpoint_url: str | None = None) -> Any:
    """A boto3 client with adaptive retries (throttling is retried with backoff) and the configured endpoint.

    The endpoint comes from ADVISOR_AWS_ENDPOINT_URL when set (an AWS-compatible server such as moto's, in
    tests), else boto3's own resolution (which also honours AWS_ENDPOINT_URL)."""
    import boto3
    from botocore.config import Config

    return boto3.client(service, region_name=region or settings.get("REGION"),
                        endpoint_url=endpoint_url or settings.get("AWS_ENDPOINT_URL"),
                        config=Config(retries={"mode": "adaptive", "max_attempts": 6},
                                      connect_timeout=10, read_timeout=120))


def require_credentials(purpose: str) -> None:
    """Refuse PURPOSE (e.g. "deploying") before any work starts when boto3 finds no credentials: a setting to fix,
    not a failure halfway."""
    try:
        import boto3
    except ImportError as exc:
        raise CredentialsMissing(f"{purpose} needs boto3", hint="install the aws extra: pip install -e '.[aws]'",
                                 fields={"backend": "boto3 missing"}) from exc
    if boto3.session.Session().get_credentials() is None:
        raise CredentialsMissing(f"{purpose} needs AWS credentials, and none were found", hint=CREDENTIALS_HINT,
                                 fields={"credentials": "missing"})


_PERMISSION = {"lambda": "lambda", "sagemaker": "sagemaker", "s3": "s3", "dynamodb": "dynamodb", "iam": "iam",
               "logs": "logs", "cloudwatch": "cloudwatch", "application-autoscaling": "application-autoscaling"}


def delete_lambda(control: Any, function: str, qualifier: str | None = None) -> None:
    """Delete a Lambda function (or one version of it) that the advisor made; one already gone is clean."""
    from botocore.exceptions import ClientError

    try:
        control.delete_function(FunctionName=function, **({"Qualifier": qualifier} if qualifier else {}))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            with translated("lambda", "DeleteFunction"):
                raise


def _action(service: str, operation: str) -> str:
    return f"{_PERMISSION.get(service, service)}:{operation}"


@contextmanager
def translated(service: str, operation: str) -> Iterator[None]:
    """Run an AWS call; turn its failures into AdvisorErrors that say what to do."""
    from botocore.exceptions import (ClientError, EndpointConnectionError, NoCredentialsError,
                                     NoRegionError)

    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = error.get("Code", ""), error.get("Message", str(exc))
        if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException",
                    "AuthorizationError") or "not authorized" in message:
            named = re.search(r"perform: ([\w-]+:\w+)", message)
            action = named.group(1) if named else _action(service, operation)
            raise PermissionDenied(f"AWS denied {action}: {message}",
                                   hint=f"grant {action} to the credentials in use (docs/iam-policy.json lists "
                                        "every permission the advisor needs)",
                                   fields={"permission": action}) from exc
        if code in ("ThrottlingException", "TooManyRequestsException", "Throttling", "RequestLimitExceeded"):
            raise TrialFailed(f"AWS kept throttling {_action(service, operation)} after retries: {message}",
                              hint="try again later, or ask AWS for a higher quota") from exc
        raise TrialFailed(f"{_action(service, operation)} failed: {code}: {message}",
                          hint="the AWS error above says what was wrong") from exc
    except NoCredentialsError as exc:
        raise CredentialsMissing("no AWS credentials found", hint=CREDENTIALS_HINT,
                                 fields={"credentials": "missing"}) from exc
    except NoRegionError as exc:
        raise AwsUnavailable("no AWS region set", hint="set ADVISOR_REGION or AWS_REGION") from exc
    except EndpointConnectionError as exc:
        raise AwsUnavailable(f"cannot reach AWS: {exc}", hint="check the network, or ADVISOR_AWS_ENDPOINT_URL") from exc
