"""The platform registry: every platform is one module that answers for itself, and nothing else in the code
branches on a platform's name."""

import re
from pathlib import Path

import pytest

from advisor.core import platforms
from advisor.core.domain import Config
from advisor.core.errors import BadInput

ROOT = Path(__file__).resolve().parents[2]
NAMES = "|".join(re.escape(n) for n in platforms.names())
BRANCH = re.compile(rf"""(==|!=|\bin\b)\s*[(\[{{]?\s*["']({NAMES})["']|["']({NAMES})["']\s*(==|!=|\bin\b)""")


def test_no_code_outside_the_platform_modules_branches_on_a_platform_name():
    found = []
    for package in ("advisor", "api", "profilers", "recommender"):
        for path in (ROOT / package).rglob("*.py"):
            if "core/platforms" in path.as_posix():
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if BRANCH.search(line) and "kind" not in line:  # a deploy plan's kind is no platform
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "branches on a platform's name:\n" + "\n".join(found)


def test_the_branch_pattern_would_see_one():
    assert BRANCH.search('if config.platform == "lambda":') and BRANCH.search('elif p in ("ec2", "lambda"):')


@pytest.mark.parametrize("name", platforms.names())
def test_every_platform_answers_for_itself(name):
    platform = platforms.get(name)
    assert platform.name == name and platform.kind in ("inference", "training")
    for config in platform.candidates():
        assert config.platform == name and config.is_memory_sized == platform.memory_sized
        platforms.validate(config)
        assert platforms.vcpus(config) > 0


def test_an_unknown_platform_is_refused_with_the_known_ones():
    with pytest.raises(BadInput) as err:
        platforms.get("fargate")
    assert "sagemaker-serverless" in err.value.hint and err.value.fields == {"platform": "unknown"}
    with pytest.raises(BadInput):
        Config("fargate", memory_mb=1024)


def test_a_platform_parses_its_own_command_line_spelling():
    assert platforms.get("lambda").parse("1024", "arm64") == Config("lambda", memory_mb=1024, architecture="arm64")
    assert platforms.get("sagemaker-realtime").parse("ml.c5.large", "2") == \
        Config("sagemaker-realtime", instance_type="ml.c5.large", instance_count=2)
    with pytest.raises(BadInput):
        platforms.get("lambda").parse("lots")


def test_a_serverless_training_config_names_its_workers_as_memory_x_count():
    from advisor.core import platforms
    from advisor.core.errors import BadInput

    config = platforms.get("lambda-training").parse("1769x8", "arm64")
    assert (config.memory_mb, config.instance_count, config.architecture) == (1769, 8, "arm64")
    assert platforms.get("lambda-training").parse("3008").instance_count == 1
    with pytest.raises(BadInput):
        platforms.get("lambda-training").parse("1769x")
