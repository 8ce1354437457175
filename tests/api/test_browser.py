"""The web page in a real headless browser: the chart draws every candidate and marks the chosen one."""

import re
import shutil
import subprocess
import tempfile

import pytest

from tests.support.servers import running_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def headless(url: str, *extra: str) -> str:
    with tempfile.TemporaryDirectory() as profile_dir:
        done = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile_dir}", "--virtual-time-budget=8000", *extra, url],
            capture_output=True, text=True, timeout=90)
    return done.stdout


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
def test_chart_marks_the_chosen_config(profiled, data_dir):
    with running_server(data_dir, workers=1) as base:
        dom = headless(f"{base}/ui/workloads/ncf-recommender", "--dump-dom")
    assert "<svg" in dom, dom[:2000]
    candidates = re.findall(r'<circle[^>]*class="candidate"', dom)
    assert len(candidates) >= 10
    chosen = re.search(r'class="chosen-label"[^>]*>chosen: ([^<]+)<', dom)
    assert chosen, "the chosen config is not marked"
    answer = re.search(r'id="answer"[^>]*>Chosen: ([^ ]+) ', dom)
    assert answer and answer.group(1) == chosen.group(1)
    assert 'class="sla-line"' in dom
    assert "lambda/1024MB/x86_64" in dom  # the profiles table


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs it)")
def test_cost_against_traffic_draws_a_line_per_family_and_the_traffic_beneath(profiled, data_dir):
    with running_server(data_dir, workers=1) as base:
        dom = headless(f"{base}/ui/workloads/ncf-recommender", "--dump-dom")
    assert len(re.findall(r'<polyline[^>]*class="family-line"', dom)) >= 2, dom[:3000]
    assert len(re.findall(r'class="traffic-phase"', dom)) == 24  # the diurnal day, hour by hour
    assert re.search(r'id="compare-note"[^>]*>[^<]*cheapest', dom)
