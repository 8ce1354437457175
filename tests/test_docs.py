"""Every setting and every command is documented in the README."""

from pathlib import Path

from advisor.cli import main
from advisor.core.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_every_setting_is_in_the_readme_table():
    for setting in SETTINGS:
        assert f"| `ADVISOR_{setting.name}` |" in README, setting.name


def test_every_command_is_in_the_readme():
    def walk(group, prefix):
        for name, cmd in group.commands.items():
            if hasattr(cmd, "commands"):
                yield from walk(cmd, prefix + [name])
            else:
                yield " ".join(prefix + [name])

    for command in walk(main, ["advisor"]):
        assert f"`{command}" in README, command


def test_the_readme_leads_with_the_two_commands():
    head = README[:600]
    assert "make run" in head and "make test" in head


def test_the_sample_measurements_file_imports_and_answers(data_dir):
    from advisor import service

    done = service.import_profiles((ROOT / "docs" / "measurements-sample.csv").read_text(), "sample")
    assert done["workloads"] == ["sample-model"] and done["infeasible"] == 1
    assert service.recommend({"workload": "sample-model", "sla": "p95<=120ms", "rps": 5})["chosen"]
