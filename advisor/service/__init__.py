"""The application layer. The CLI and the API call these functions and nothing lower.

Each function takes plain values (what a user typed or posted), validates them once into domain objects (a
request such as `RecommendRequest`), does the work, and returns plain JSON-ready dicts. Errors are
`AdvisorError`s with a hint.
"""

from advisor.service.cloud import gc_delete, gc_find
from advisor.service.comparing import compare
from advisor.service.common import config_from_text, parse_platforms, reset_caches, store
from advisor.service.deploying import apply as apply_plan
from advisor.service.deploying import get_deployment
from advisor.service.deploying import plan as plan_deployment
from advisor.service.importing import import_formats, import_profiles, read_file
from advisor.service.profiling import default_grid, estimate, get_job, profile, start_profile_job
from advisor.service.prices import prices_show
from advisor.service.prices import refresh as refresh_prices
from advisor.service.recommending import fitted_model, get_recommendation, recommend, recommend_json
from advisor.service.requests import RecommendRequest
from advisor.service.user_models import add_model, add_model_upload, parse_sample, read_payload, read_sample
from advisor.service.workloads import create_workload, get_workload, list_workloads, remove_workload

__all__ = ["RecommendRequest", "add_model", "compare", "add_model_upload", "apply_plan", "config_from_text", "create_workload", "default_grid", "estimate",
           "fitted_model", "gc_delete", "gc_find", "get_job", "get_recommendation", "get_deployment", "get_workload", "import_formats", "import_profiles", "read_file",
           "list_workloads", "parse_platforms", "parse_sample", "read_payload", "read_sample", "remove_workload", "plan_deployment", "prices_show", "profile", "refresh_prices", "recommend",
           "recommend_json", "reset_caches", "start_profile_job", "store"]
