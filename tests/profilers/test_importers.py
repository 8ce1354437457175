"""The measurements CSV v1: good files become profiles; a bad line refuses the whole file, naming the line."""

import pytest
from click.testing import CliRunner

from advisor import service
from advisor.cli import main
from advisor.core.errors import BadInput
from profilers.importers import profiles_from_rows, read_csv

GOOD = """platform,workload,memory_mb,duration_ms,cold,init_duration_ms,failed,extra_column
lambda,w1,1024,100,false,,false,ignored
lambda,w1,1024,120,false,,false,
lambda,w1,1024,140,false,,,
lambda,w1,1024,900,true,250,false,
lambda,w1,512,0,false,,true,
lambda,w2,2048,5000,,,,
"""


def test_a_good_file_becomes_profiles_with_cold_starts_apart():
    profiles = {(p.workload, p.config.memory_mb): p for p in profiles_from_rows(read_csv(GOOD, "good.csv"))}
    warm = profiles[("w1", 1024)]
    assert warm.feasible and warm.summary["samples"] == 3
    assert warm.summary["p50_ms"] == 120 and warm.summary["mean_ms"] == 120
    assert warm.summary["cold_start_ms"] == 250 + 900  # init + the cold invocation, not in the warm figures
    assert len(warm.measurements) == 4
    failed = profiles[("w1", 512)]
    assert not failed.feasible and "1 of 1 runs failed" in failed.note


@pytest.mark.parametrize("text, line, words", [
    ("workload,platform\nw,lambda\n", "1", "lacks duration_ms"),
    ("workload,platform,duration_ms,memory_mb\nw,lambda,10,1024\nw,mainframe,10,1024\n", "3", "unknown platform"),
    ("workload,platform,duration_ms,memory_mb\nw,lambda,ten,1024\n", "2", "duration_ms must be a number"),
    ("workload,platform,duration_ms,memory_mb\nw,lambda,,1024\n", "2", "duration_ms is required"),
    ("workload,platform,duration_ms,memory_mb\nw,lambda,-4,1024\n", "2", "must be a number >= 0"),
    ("workload,platform,duration_ms,memory_mb\nw,lambda,10,64\n", "2", "Lambda memory must be"),
    ("workload,platform,duration_ms,instance_type\nw,ec2,10,z9.huge\n", "2", "not in the catalog"),
    ("workload,platform,duration_ms,memory_mb,cold\nw,lambda,10,1024,maybe\n", "2", "cold must be true or false"),
    ("workload,platform,duration_ms,memory_mb\nw,lambda,10,1024,surplus\n", "2", "more fields"),
    ("workload,platform,duration_ms\n", "", "no rows"),
])
def test_a_bad_file_is_refused_with_its_line(text, line, words):
    with pytest.raises(BadInput) as err:
        read_csv(text, "bad.csv")
    assert words in err.value.message
    if line:
        assert err.value.fields["line"] == line and f"line {line}" in err.value.message or line == "1"


def test_an_import_is_all_or_nothing(data_dir):
    good_then_bad = "workload,platform,duration_ms,memory_mb\nw,lambda,10,1024\nw,lambda,oops,2048\n"
    with pytest.raises(BadInput):
        service.import_profiles(good_then_bad, "x.csv")
    assert service.store().get_workload("w") is None
    result = service.import_profiles(GOOD, "good.csv")
    assert result["rows"] == 6 and result["workloads"] == ["w1", "w2"] and result["infeasible"] == 1
    assert len(service.store().profiles("w1")) == 2


def test_cli_and_api_import(data_dir, tmp_path):
    path = tmp_path / "m.csv"
    path.write_text(GOOD)
    result = CliRunner().invoke(main, ["profiles", "import", str(path)], catch_exceptions=False)
    assert result.exit_code == 0 and "Imported 6 csv records" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("workload,platform,duration_ms\nw,lambda,10\n")
    result = CliRunner().invoke(main, ["profiles", "import", str(bad)], catch_exceptions=False)
    assert result.exit_code == 2 and "line 2" in result.output and "hint:" in result.output
    from api import create_app

    client = create_app({"TESTING": True}).test_client()
    before = len(service.store().profile_rows("w1"))
    resp = client.post("/profiles/import", data=GOOD, content_type="text/csv")  # what the CLI imported: a no-op
    assert resp.status_code == 200 and resp.get_json()["already_imported"] is True
    assert len(service.store().profile_rows("w1")) == before == 2
    again = CliRunner().invoke(main, ["profiles", "import", str(path)], catch_exceptions=False)
    assert again.exit_code == 0 and "imported before" in again.output
    resp = client.post("/profiles/import", data=GOOD.replace("w1", "w3"), content_type="text/csv")
    assert resp.status_code == 201 and resp.get_json()["profiles"] == 3
    resp = client.post("/profiles/import", json={"csv": "workload,platform\n"})
    assert resp.status_code == 400 and resp.get_json()["error"]["fields"]["line"] == "1"
