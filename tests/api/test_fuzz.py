"""A property-based fuzzer over the served OpenAPI document (schemathesis): every operation, a bounded number of
generated requests each, against an app with a token and a store with profiles. Checked on every answer: no 5xx,
the status is one the document lists, the body matches its documented schema (the error shape on every 4xx), the
token is required where the document says so, undocumented methods answer 405 with Allow.

Not checked: that every schema-valid request is accepted. The schemas give types and ranges; a workload that does
not exist, an SLA outside the grammar or a recommendation id never issued are refused by the service with a 4xx.
ADVISOR_FUZZ_EXAMPLES sets the examples per operation (default 40)."""

import os
import tempfile
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
hypothesis = pytest.importorskip("hypothesis")
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

from advisor.store.database import Store  # noqa: E402
from api import create_app  # noqa: E402
from tests.support.profiles import instance_profile, lambda_profile  # noqa: E402

TOKEN = "fuzz-token-0123"
EXAMPLES = int(os.environ.get("ADVISOR_FUZZ_EXAMPLES", "40"))
HOME = Path(tempfile.mkdtemp(prefix="advisor-fuzz-"))  # the fuzzed app's own data directory and store
DATABASE_URL = f"sqlite:///{HOME / 'fuzz.sqlite'}"
Store(DATABASE_URL).init().add_profiles([lambda_profile("ncf-recommender", m) for m in (1024, 1769)]
                                        + [instance_profile("ncf-recommender", "ml.c5.large")])
schema = schemathesis.openapi.from_wsgi("/openapi.json", create_app({"TESTING": True, "API_TOKEN": TOKEN,
                                                                     "DATABASE_URL": DATABASE_URL}))


@pytest.fixture(autouse=True)
def fuzzed_settings(monkeypatch):
    """The settings requests read: this data directory, and a grid so small a profile that gets through is cheap."""
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(HOME))
    monkeypatch.setenv("ADVISOR_BOOTSTRAP_GRID", "lambda:1024")


def test_the_document_is_valid_openapi():
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(schema.raw_schema)


@schema.parametrize()
@hypothesis.settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
def test_every_operation_answers_within_its_documented_contract(case):
    case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, excluded_checks=[positive_data_acceptance])
