"""Decision quality on real measurement sets: the advisor against brute force, random-k, Parrotfish-style and
CherryPick-style, on the same trial budgets.

For each workload of a file (the target), SLA levels 1.1, 1.25, 1.5, 2 and 3 times the best achievable metric (p95
of warm durations, or the run's duration), each budget and each history mode:
  same-file  every other workload of the file is history (workloads of one program at other settings)
  foreign    history is only the other files of the same platform family (unlike programs)
  none       no history at all: the target's own trials and the platform's physics
Scores:
  hit        the pick meets the SLA and costs at most 1.05x the cheapest config that meets it
  violation  the pick does not meet the SLA, or there is no pick
  regret     cost of the pick / cost of the cheapest that meets (over picks that meet)
Ground truth uses the file's measurements and the cost formulas of DESIGN.md. The files are read where they are.

    python benchmarks/decision_quality.py [--data DIR ...] [--only FILE,...] [--modes same-file,foreign,none]
                                          [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import math
import random
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advisor.core import prices  # noqa: E402
from advisor import service  # noqa: E402
from advisor.core.domain import SLA  # noqa: E402
from advisor.core.errors import NoFeasibleConfig  # noqa: E402
from benchmarks import baselines  # noqa: E402
from profilers.importers import load_file, profiles_from_rows  # noqa: E402
from recommender.adaptive import cost_function, hourly_overrides, recommend_from_profiles, vcpus_from  # noqa: E402
from recommender.transfer import metric_value  # noqa: E402

LEVELS = (1.1, 1.25, 1.5, 2.0, 3.0)
BUDGETS = {"lambda": (3, 6), "instances": (6, 10)}
RANDOM_SEEDS = 200


def score(pick, ok: dict, optimum: float) -> tuple[int, int, float | None]:
    if pick is None or pick not in ok:
        return 0, 1, None
    regret = ok[pick] / optimum
    return int(regret <= 1.05 + 1e-12), 0, regret


MODES = ("same-file", "foreign", "none")


def family_of(profiles: list) -> str:
    return "lambda" if all(p.config.is_memory_sized for p in profiles) else "instances"


def evaluate(path: Path, quick: bool, confidence: float, mode: str = "same-file",
             others: dict[Path, list] | None = None, with_baselines: bool = True) -> list[dict]:
    """The table's rows for one file in one history MODE; OTHERS: every file's profiles (for `foreign`)."""
    profiles = profiles_from_rows(load_file(path)) if others is None or path not in others else others[path]
    by_workload = defaultdict(list)
    for p in profiles:
        by_workload[p.workload].append(p)
    table = prices.load("us-east-1")
    overrides = hourly_overrides(profiles)
    vcpus_of = vcpus_from(profiles)  # a property of the instance types, as the prices are
    extra = {p.config.instance_type: {"vcpus": p.summary.get("vcpus", 1.0), "memory_gib": p.summary.get("memory_gib", 1.0)}
             for p in profiles if p.config.instance_type}
    memory_sized = all(p.config.is_memory_sized for p in profiles)
    family = family_of(profiles)
    foreign = [p for f, ps in (others or {}).items() if f != path and family_of(ps) == family for p in ps]
    workloads = sorted(by_workload)
    if quick:
        workloads = workloads[:: max(1, len(workloads) // 12)]
    rows = []
    skipped = 0
    for budget in BUDGETS[family]:
        acc: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for w in workloads:
            target = by_workload[w]
            history = {"same-file": [p for p in profiles if p.workload != w], "foreign": foreign,
                       "none": []}[mode]
            kind = "latency" if memory_sized else "deadline"
            metric = "p95_ms" if kind == "latency" else "duration_ms"
            truth = {p.config: metric_value(p, metric) for p in target}
            finite = [v for v in truth.values() if math.isfinite(v)]
            if not finite:
                skipped += 1
                continue
            configs = sorted(truth)
            by_config = {p.config: p for p in target}
            for level in LEVELS:
                limit = min(finite) * level
                sla = SLA(kind, limit, 95.0 if kind == "latency" else None, None, f"x{level}")
                cost = cost_function(sla, 1.0, table, overrides)
                ok = {c: cost(c, v) for c, v in truth.items() if math.isfinite(v) and v <= limit}
                optimum = min(ok.values())

                def record(method: str, pick, trials: float, hit=None, viol=None, regret=None) -> None:
                    if hit is None:
                        hit, viol, regret = score(pick, ok, optimum)
                    acc[method]["hit"].append(hit)
                    acc[method]["viol"].append(viol)
                    acc[method][f"hit@{level:g}"].append(hit)
                    if regret is not None:
                        acc[method]["regret"].append(regret)
                    acc[method]["trials"].append(trials)

                revealed: list = []

                def trial(config, revealed=revealed):
                    revealed.append(config)
                    return by_config[config]

                result = recommend_from_profiles(configs, history, trial, sla, budget, confidence, cost, vcpus_of)
                assert len(set(revealed)) <= budget
                record("advisor", result.chosen, len(result.exploration.order))
                if level == LEVELS[0]:  # interval coverage on the configs it did not measure (held out)
                    tail = (1 - confidence) / 2
                    for c, belief in result.beliefs.items():
                        if belief.measured or not math.isfinite(truth[c]) or not math.isfinite(belief.mu):
                            continue
                        inside = belief.quantile(tail) <= truth[c] <= belief.quantile(1 - tail)
                        acc["advisor"]["covered"].append(int(inside))
                if not with_baselines:
                    continue
                record("brute force", min(ok, key=ok.get), len(configs))
                hits, viols, regrets = [], [], []
                for seed in range(RANDOM_SEEDS):
                    pick, _ = baselines.random_k(configs, truth, limit, cost, budget, random.Random(seed))
                    h, v, r = score(pick, ok, optimum)
                    hits.append(h)
                    viols.append(v)
                    if r is not None:
                        regrets.append(r)
                record(f"random-{budget}", None, budget, statistics.mean(hits), statistics.mean(viols),
                       statistics.mean(regrets) if regrets else None)
                if memory_sized:
                    pick, used = baselines.parrotfish(configs, truth, limit, cost, budget)
                    record("Parrotfish-style", pick, used)
                pick, used = baselines.cherrypick(configs, truth, limit, cost, budget, random.Random(level), extra)
                record("CherryPick-style", pick, used)
        for method, a in acc.items():
            regret = sorted(a["regret"])
            rows.append({"data": path.name, "mode": mode, "budget": budget, "method": method,
                         "hit": statistics.mean(a["hit"]), "violation": statistics.mean(a["viol"]),
                         "mean_regret": statistics.mean(regret) if regret else math.nan,
                         "p90_regret": regret[int(0.9 * (len(regret) - 1))] if regret else math.nan,
                         "trials": statistics.mean(a["trials"]),
                         **{f"hit@{lv:g}": statistics.mean(a[f"hit@{lv:g}"]) for lv in LEVELS},
                         "cases": len(a["hit"]), "skipped_workloads": skipped // len(BUDGETS[family]),
                         "coverage": statistics.mean(a["covered"]) if a.get("covered") else None,
                         "coverage_n": len(a.get("covered", []))})
    return rows


def timing(path: Path, rows_wanted: int = 20_000) -> tuple[int, float]:
    """Wall time of `recommend --measurements` (parse, replay, decide) on a file of ROWS_WANTED rows."""
    text = path.read_text().splitlines()
    header, body = text[0], text[1:]
    copies = []
    k = 0
    while len(copies) < rows_wanted:
        copies += [line.replace(line.split(",")[0], f"{line.split(',')[0]}-copy{k}", 1) for line in body]
        k += 1
    csv_text = "\n".join([header] + copies[:rows_wanted]) + "\n"
    workload = copies[0].split(",")[0]
    start = time.perf_counter()
    try:
        service.recommend({"workload": workload, "sla": "p95<=5s", "max_trials": 3, "measurements_csv": csv_text},
                          "big.csv")
    except NoFeasibleConfig:
        pass  # "no config meets" is an answer too: the time to reach it is what is measured
    return rows_wanted, time.perf_counter() - start


def default_folders() -> list[str]:
    """benchmarks/data (shipped), $ADVISOR_MEASUREMENTS_DIRS (colon-separated), and the shared measurements of the
    team's layout (a `shared/data/measurements` folder beside the checkout) where it exists."""
    here = Path(__file__).resolve().parent
    extra = [d for d in os.environ.get("ADVISOR_MEASUREMENTS_DIRS", "").split(":") if d]
    beside = here.parents[1] / "shared" / "data" / "measurements"
    return [str(here / "data"), *extra, *([str(beside)] if beside.is_dir() else [])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", nargs="+", default=default_folders(),
                        help="folders of measurement CSV files (default: benchmarks/data, the folders in "
                             "$ADVISOR_MEASUREMENTS_DIRS, and the team's shared measurements beside this checkout "
                             "when present)")
    parser.add_argument("--only", default="", help="only these files (names, comma-separated)")
    parser.add_argument("--modes", default=",".join(MODES), help="history modes, comma-separated")
    parser.add_argument("--quick", action="store_true", help="every ~12th workload only")
    parser.add_argument("--confidence", type=float, default=0.9)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    folders = [Path(d) for d in args.data if Path(d).is_dir()]
    files = sorted(f for d in folders for f in d.glob("*.csv") if not args.only or f.name in args.only.split(","))
    missing = [name for name in args.only.split(",") if name and name not in {f.name for f in files}]
    if missing or not files:
        sys.exit(f"not found: {', '.join(missing) or 'any measurement file'} (looked in "
                 f"{', '.join(map(str, folders)) or 'no existing folder'}); give the folder with --data")
    modes = [m for m in args.modes.split(",") if m]
    unknown = set(modes) - set(MODES)
    if unknown:
        sys.exit(f"unknown mode(s) {', '.join(sorted(unknown))}: use {', '.join(MODES)}")
    everything = {f: profiles_from_rows(load_file(f)) for f in files}
    rows = []
    for mode in modes:
        for f in files:
            rows += evaluate(f, args.quick, args.confidence, mode, everything, with_baselines=mode == modes[0])
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    levels = " ".join(f"{'hit@' + format(lv, 'g'):>8}" for lv in LEVELS)
    print(f"{'data':<28} {'history':<9} {'budget':>6} {'method':<17} {'hit':>6} {'viol.':>6} {'regret':>7} "
          f"{'p90 reg':>7} {'trials':>6} {levels}")
    for r in rows:
        per_level = " ".join(f"{r[f'hit@{lv:g}']:>8.0%}" for lv in LEVELS)
        print(f"{r['data']:<28} {r['mode']:<9} {r['budget']:>6} {r['method']:<17} {r['hit']:>6.1%} "
              f"{r['violation']:>6.1%} {r['mean_regret']:>7.3f} {r['p90_regret']:>7.3f} {r['trials']:>6.2f} {per_level}")
    for f in files:
        skipped = next(r["skipped_workloads"] for r in rows if r["data"] == f.name)
        cases = next(r["cases"] for r in rows if r["data"] == f.name)
        print(f"{f.name}: {cases} cases per method and budget; {skipped} workloads skipped (no config meets any SLA)")
    for r in rows:
        if r["coverage"] is not None:
            print(f"{r['data']}, {r['mode']} history, budget {r['budget']}: the advisor's {args.confidence:.0%} intervals held "
                  f"{r['coverage']:.1%} of {r['coverage_n']} held-out measurements")
    n, seconds = timing(files[0])
    print(f"recommend --measurements on a {n:,}-row file: {seconds:.2f} s")


if __name__ == "__main__":
    main()
