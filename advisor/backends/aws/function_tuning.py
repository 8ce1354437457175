"""Tuning a user's existing Lambda function in place, the way Lambda Power Tuning does: for each memory size, the
function's configuration is changed and a version published (its first invocation is a cold start), the version is
invoked with the user's payload, and at the end, whatever happened, the function's original memory and environment
are put back and the versions made here deleted.

The function keeps its architecture and its code: a config of another architecture is refused, since changing it
would need the function's package rebuilt.
"""

from __future__ import annotations

import uuid
from typing import Any

from advisor.backends.aws.lambda_trials import LambdaTrials
from advisor.core.aws import client, delete_lambda, translated
from advisor.core.domain import Config
from advisor.core.errors import BadInput


def function_facts(function: str, control: Any = None) -> dict[str, Any]:
    """What tuning needs to know of FUNCTION before it starts: name, architecture, timeout, memory."""
    with translated("lambda", "GetFunctionConfiguration"):
        found = (control or client("lambda")).get_function_configuration(FunctionName=function)
    return {"name": found["FunctionName"], "arn": found["FunctionArn"], "memory_mb": found["MemorySize"],
            "timeout_s": found["Timeout"], "architecture": (found.get("Architectures") or ["x86_64"])[0],
            "package": found.get("PackageType", "Zip")}


class FunctionTuning(LambdaTrials):
    """LambdaTrials on a function that exists: nothing created, the original configuration restored."""

    method = "aws:lambda-function"

    def __init__(self, workload: str, function: str, control: Any = None, invoker: Any = None) -> None:
        super().__init__(workload, role_arn="", code={}, handler="", control=control, invoker=invoker)
        self.function_name = function
        self.original: dict[str, Any] | None = None
        self.published: list[str] = []

    def __enter__(self) -> "FunctionTuning":
        with translated("lambda", "GetFunctionConfiguration"):
            found = self.control.get_function_configuration(FunctionName=self.function_name)
        self.original = {"MemorySize": found["MemorySize"],
                         "Environment": {"Variables": dict((found.get("Environment") or {}).get("Variables") or {})}}
        self.architecture = (found.get("Architectures") or ["x86_64"])[0]
        self.timeout_s = found["Timeout"]
        return self

    def prepare(self, config: Config) -> str:
        """The function at CONFIG's memory, published as a new version (whose first invocation is cold)."""
        if self.original is None:
            raise RuntimeError("use FunctionTuning as a context manager: it restores the function on exit")
        if config.architecture != self.architecture:
            raise BadInput(f"{self.function_name} runs on {self.architecture}; tuning keeps its architecture",
                           hint=f"give --config lambda:{config.memory_mb}:{self.architecture}",
                           fields={"config": "other architecture"})
        variables = {**self.original["Environment"]["Variables"], "ADVISOR_TRIAL": uuid.uuid4().hex}
        with translated("lambda", "UpdateFunctionConfiguration"):
            self.control.update_function_configuration(FunctionName=self.function_name, MemorySize=config.memory_mb,
                                                       Environment={"Variables": variables})
        self._wait("function_updated_v2")
        with translated("lambda", "PublishVersion"):
            version = self.control.publish_version(FunctionName=self.function_name,
                                                   Description=f"advisor tuning {self.run_id}")["Version"]
        self.published.append(version)
        return version

    def cleanup(self) -> None:
        """Put the original memory and environment back, then delete the versions published here; safe twice."""
        if self.original is None:
            return
        original, self.original = self.original, None
        try:
            with translated("lambda", "UpdateFunctionConfiguration"):
                self.control.update_function_configuration(FunctionName=self.function_name, **original)
            self._wait("function_updated_v2")
        finally:
            for version in self.published:
                delete_lambda(self.control, self.function_name, version)
            self.published.clear()
