"""docs/iam-policy.json grants every AWS operation the code calls, and nothing it does not."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _granted() -> set[str]:
    policy = json.loads((ROOT / "docs" / "iam-policy.json").read_text())
    actions: set[str] = set()
    for statement in policy["Statement"]:
        items = statement["Action"]
        actions |= {items} if isinstance(items, str) else set(items)
    return actions


def _called() -> set[str]:
    """Every `translated("service", "Operation")` in the code: each AWS call is wrapped in one."""
    found = set()
    for path in (ROOT / "advisor").rglob("*.py"):
        for service, operation in re.findall(r'translated\("([\w-]+)", "(\w+)"\)', path.read_text()):
            found.add(f"{service}:{operation}")
    return found


def test_every_call_is_granted():
    missing = _called() - _granted()
    assert not missing, f"add to docs/iam-policy.json: {sorted(missing)}"


def test_nothing_is_granted_that_no_code_needs():
    implied = {"iam:PassRole", "lambda:TagResource", "sagemaker:AddTags"}  # by Create* with a role and Tags
    extra = _granted() - _called() - implied
    assert not extra, f"remove from docs/iam-policy.json or use: {sorted(extra)}"
