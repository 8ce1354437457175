"""One real Lambda trial on real AWS. It runs only when asked and configured, and is skipped otherwise: the suite
passes, and tests everything else, without credentials."""

import os

import pytest

from advisor.core.domain import Config

NEEDED = ("AWS_ACCESS_KEY_ID", "ADVISOR_AWS_ROLE_ARN", "ADVISOR_AWS_LAMBDA_CODE")
ready = os.environ.get("ADVISOR_TEST_REAL_AWS") == "1" and all(os.environ.get(n) for n in NEEDED)


@pytest.mark.skipif(not ready, reason="real AWS is not configured: set ADVISOR_TEST_REAL_AWS=1, AWS credentials, "
                                      "ADVISOR_AWS_ROLE_ARN and ADVISOR_AWS_LAMBDA_CODE (the trial costs cents)")
def test_a_real_lambda_trial_measures_and_cleans_up():
    from advisor.core.aws import client
    from advisor.backends.aws.lambda_trials import LambdaTrials
    from advisor.workloads import builtin
    from advisor.workloads.ncf import request_for

    code = os.environ["ADVISOR_AWS_LAMBDA_CODE"]
    package = ({"S3Bucket": code[5:].split("/", 1)[0], "S3Key": code[5:].split("/", 1)[1]}
               if code.startswith("s3://") else {"ImageUri": code})
    spec = builtin("ncf-recommender-tiny")
    control = client("lambda")
    with LambdaTrials(spec.id, os.environ["ADVISOR_AWS_ROLE_ARN"], package,
                      os.environ.get("ADVISOR_AWS_LAMBDA_HANDLER", "advisor.workloads.handler.handler"),
                      control=control) as trials:
        profile = trials.trial(Config("lambda", memory_mb=2048), request_for(spec, 8), invocations=3, warmup=1)
        name = trials.function_name
    assert profile.feasible, profile.note
    assert profile.summary["cold_start_ms"] > profile.summary["p50_ms"] > 0
    assert name not in [f["FunctionName"] for f in control.list_functions()["Functions"]]
