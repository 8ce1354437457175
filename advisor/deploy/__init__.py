"""Deploy a recommendation: a plan that changes nothing, then `apply` that carries out exactly that plan, with
rollback. One module per platform."""

from advisor.deploy.common import RolledBack, finish_plan, monthly
from advisor.deploy.hybrid import plan_hybrid
from advisor.deploy.lambda_fn import LambdaState, apply_lambda, plan_lambda, read_lambda_state
from advisor.deploy.sagemaker import EndpointState, apply_sagemaker, plan_sagemaker, read_endpoint_state

__all__ = ["EndpointState", "LambdaState", "RolledBack", "apply_lambda", "apply_sagemaker", "finish_plan", "monthly",
           "plan_hybrid", "plan_lambda", "plan_sagemaker", "read_endpoint_state", "read_lambda_state"]
