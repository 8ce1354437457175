"""Crash safety of the store: the server (gunicorn, two workers, and the scheduler in its master running a replay
re-profile every second) is killed with SIGKILL while clients import measurements, ask for recommendations and add
schedules; afterwards the SQLite file passes its integrity check, every write the server acknowledged is there,
whole, and every schedule run either finished with its outcome or reads as interrupted."""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

from advisor import service
from advisor.store.database import Store
from tests.support.profiles import lambda_profile
from tests.support.servers import call, free_port

CSV = "workload,platform,memory_mb,duration_ms\n" + "".join(f"{{w}},lambda,{m},{10 + m / 100}\n"
                                                              for m in (512, 1024, 2048) for _ in range(5))


def _post_csv(base, text):
    req = urllib.request.Request(base + "/profiles/import", data=text.encode(), method="POST",
                                 headers={"Content-Type": "text/csv"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status


def test_sigkill_during_writes_loses_no_acknowledged_write(data_dir):
    from advisor.service import scheduling
    from tests.support.profiles import REPLAYED_WORKLOAD, replayed_measurements_csv

    service.store().add_profiles([lambda_profile("ncf-recommender", m) for m in (1024, 1769, 2560)])
    service.import_profiles(replayed_measurements_csv(seed=1), "history.csv", "csv")
    (data_dir / "latest.csv").write_text(replayed_measurements_csv(seed=2))
    reprofile = scheduling.add({"workload": REPLAYED_WORKLOAD, "backend": "replay", "source": str(data_dir / "latest.csv"),
                                "every": "1s", "sla": "p95<=1000ms", "config": {"platform": "lambda", "memory_mb": 1024}})
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "advisor.cli", "serve", "--port", str(port), "--workers", "2",
                               "--with-scheduler"],
                              env=dict(os.environ, ADVISOR_DATA_DIR=str(data_dir)), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while call_ok(base) is False:
        assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
        time.sleep(0.1)
    status, body = call(base, "/workloads")
    assert status == 200, body
    listed = {w["id"] for w in body["workloads"]}
    assert server.poll() is None and REPLAYED_WORKLOAD in listed  # ours answers, not another test's on that port
    acknowledged = {"imports": [], "recommendations": [], "schedules": []}
    stop = threading.Event()
    ended: list[str] = []

    def client(k):
        n = 0
        while not stop.is_set():
            n += 1
            try:
                if n % 3 == 0:
                    workload = f"crash-{k}-{n}"
                    if _post_csv(base, CSV.format(w=workload)) == 201:
                        acknowledged["imports"].append(workload)
                elif n % 3 == 1:
                    status, body = call(base, "/recommend", {"workload": "ncf-recommender", "sla": "p95<=2s",
                                                             "rps": k * 1000 + n})
                    if status == 200:
                        acknowledged["recommendations"].append(body["id"])
                else:
                    status, body = call(base, "/schedules", {"workload": "ncf-recommender", "sla": "p95<=2s",
                                                             "every": "1d"})
                    if status == 201:
                        acknowledged["schedules"].append(body["id"])
            except urllib.error.HTTPError:
                continue  # answered, but refused (a busy store's 503): not acknowledged, nothing to check
            except (urllib.error.URLError, ConnectionError, OSError, ValueError) as exc:
                ended.append(repr(exc)[:200])
                return  # the server is gone: what was not acknowledged may or may not be there

    clients = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for t in clients:
        t.start()
    time.sleep(3.0)  # the scheduler's re-profile (every second) has run by then
    enough = time.monotonic() + 60  # a slow machine acknowledges fewer writes a second: kill after enough of them
    while sum(map(len, acknowledged.values())) < 10 and time.monotonic() < enough and not ended:
        time.sleep(0.1)
    os.killpg(server.pid, signal.SIGKILL)  # the master and both workers, mid-write
    server.wait()
    stop.set()
    for t in clients:
        t.join(timeout=30)
    print({k: len(v) for k, v in acknowledged.items()})
    assert sum(map(len, acknowledged.values())) >= 10, (acknowledged, ended)  # the kill landed during real work

    path = data_dir / "advisor.sqlite"
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = Store(f"sqlite:///{path}").init()
    for workload in acknowledged["imports"]:
        assert len(store.profiles(workload)) == 3, workload  # whole: three configs, with their measurements
        assert all(len(p.measurements) == 5 for p in store.profiles(workload, with_measurements=True))
    for rec_id in acknowledged["recommendations"]:
        assert store.get_recommendation(rec_id)["id"] == rec_id
    from advisor.store.schedules import Schedules

    stored = {s["id"] for s in Schedules(store).all()}
    assert set(acknowledged["schedules"]) <= stored
    runs = Schedules(store).runs(reprofile["id"])
    print({"schedule runs": len(runs)})
    assert runs and {r["status"] for r in runs} <= {"succeeded", "failed"}
    assert all(r["outcome"] for r in runs if r["status"] == "succeeded")
    assert all(r["error"] for r in runs if r["status"] == "failed")


def call_ok(base):
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=1) as resp:
            return resp.status == 200
    except (urllib.error.URLError, ConnectionError, OSError):
        return False
