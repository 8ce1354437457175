"""The application layer. The CLI and the API call these functions and nothing lower.

Each function takes plain values (what a user typed or posted), validates them into domain objects, does the
work, and returns plain JSON-ready dicts. Errors are `AdvisorError`s with a hint.
"""

from advisor.service.common import (config_from_text, _number, _store_for, _workload_and_version, _workload_id, create_workload,
                                    get_workload, list_workloads, parse_platforms, prices_show, store)
from advisor.service.cloud import gc_delete, gc_find
from advisor.service.deploying import apply as apply_plan
from advisor.service.deploying import plan as plan_deployment
from advisor.service.importing import import_profiles
from advisor.service.profiling import default_grid, estimate, get_job, profile, start_profile_job
from advisor.service.recommending import (_answers, _models, fitted_model, get_recommendation, recommend,
                                          recommend_from_measurements, recommend_json)

__all__ = ["config_from_text", "estimate", "apply_plan", "plan_deployment", "gc_delete", "gc_find", "create_workload", "default_grid", "fitted_model", "get_job", "get_recommendation", "get_workload",
           "import_profiles", "list_workloads", "parse_platforms", "prices_show", "profile", "recommend",
           "recommend_from_measurements", "recommend_json", "start_profile_job", "store"]
