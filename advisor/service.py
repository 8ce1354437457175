"""The application layer. The CLI and the API call these functions and nothing lower.

Each function takes plain values (what a user typed or posted), validates them into domain objects, does the
work, and returns plain JSON-ready dicts. Errors are `AdvisorError`s with a hint.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from functools import lru_cache
from typing import Any, Callable

from advisor import catalog, settings
from advisor.domain import INFERENCE_PLATFORMS, PLATFORMS, SLA, Config, Profile
from advisor.errors import AdvisorError, BadInput, NoFeasibleConfig, NotFound
from advisor.store import Store
from advisor.workloads import BUILTIN, builtin

log = logging.getLogger("advisor")
Progress = Callable[[float, str], None]
_lock = threading.Lock()


# -- the store ----------------------------------------------------------------------------------------------------
@lru_cache(maxsize=4)
def _store_for(url: str) -> Store:
    store = Store(url).init()
    for spec in BUILTIN.values():
        if store.get_workload(spec.id) is None:
            store.upsert_workload(spec.id, spec.kind, spec.description, spec.to_dict())
    return store


def store() -> Store:
    return _store_for(settings.database_url())


# -- workloads ----------------------------------------------------------------------------------------------------
def list_workloads() -> list[dict[str, Any]]:
    return store().list_workloads()


def create_workload(body: dict[str, Any]) -> dict[str, Any]:
    """Register a workload known only by its measurements (imported or replayed)."""
    workload_id = str(body.get("id") or "").strip()
    if not workload_id or len(workload_id) > 128 or not all(c.isalnum() or c in "-_." for c in workload_id):
        raise BadInput("a workload needs an id of letters, digits, '-', '_' or '.' (at most 128)",
                       hint='e.g. {"id": "my-model", "kind": "inference"}', fields={"id": "invalid"})
    kind = body.get("kind", "inference")
    if kind not in ("inference", "training"):
        raise BadInput(f"kind must be inference or training, got {kind!r}", hint="inference or training",
                       fields={"kind": "invalid"})
    store().upsert_workload(workload_id, kind, str(body.get("description", "")))
    return store().get_workload(workload_id) or {}


def get_workload(workload_id: str) -> dict[str, Any]:
    workload = store().get_workload(workload_id)
    if workload is None:
        raise NotFound(f"unknown workload {workload_id!r}", hint="see `advisor workloads` for the known ones",
                       fields={"workload": "unknown"})
    workload["profiles"] = store().profile_rows(workload_id)
    return workload


# -- parsing shared by the CLI and the API ------------------------------------------------------------------------
def parse_platforms(value: Any, allowed: tuple[str, ...] = INFERENCE_PLATFORMS) -> tuple[str, ...]:
    if value in (None, "", []):
        return ("lambda", "sagemaker-realtime", "sagemaker-serverless")
    items = value.split(",") if isinstance(value, str) else list(value)
    out = tuple(str(i).strip() for i in items if str(i).strip())
    for item in out:
        if item not in PLATFORMS:
            raise BadInput(f"unknown platform {item!r}", hint="one or more of: " + ", ".join(allowed),
                           fields={"platform": "unknown"})
        if item not in allowed:
            raise BadInput(f"platform {item!r} does not fit this request", hint="use one of: " + ", ".join(allowed),
                           fields={"platform": "not allowed here"})
    return out


def _number(body: dict[str, Any], name: str, default: Any = None, kind: type = float, minimum: float | None = None) -> Any:
    value = body.get(name, default)
    if value is None:
        return None
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise BadInput(f"{name} must be a number, got {value!r}", hint=f"give {name} as a number",
                       fields={name: "not a number"}) from None
    if isinstance(value, bool) or (minimum is not None and number < minimum):
        raise BadInput(f"{name} must be at least {minimum}, got {value!r}", hint=f"give {name} >= {minimum}",
                       fields={name: "out of range"})
    return number


def _workload_id(body: dict[str, Any]) -> str:
    return _workload_and_version(body)[0]


def _workload_and_version(body: dict[str, Any]) -> tuple[str, str]:
    """The request's workload id and its profiles' version, in one query; NotFound if unknown."""
    workload_id = body.get("workload")
    if not workload_id or not isinstance(workload_id, str):
        raise BadInput("workload is required", hint="see `advisor workloads`", fields={"workload": "required"})
    version = store().profiles_version(workload_id)
    if version is None:
        raise NotFound(f"unknown workload {workload_id!r}", hint="see `advisor workloads` for the known ones",
                       fields={"workload": "unknown"})
    return workload_id, version


# -- profiling ----------------------------------------------------------------------------------------------------
def default_grid(platforms: tuple[str, ...]) -> list[Config]:
    """The small local grid from ADVISOR_BOOTSTRAP_GRID, limited to PLATFORMS."""
    configs: list[Config] = []
    for part in str(settings.get("BOOTSTRAP_GRID")).split(";"):
        platform, _, values = part.partition(":")
        platform = platform.strip()
        if platform not in platforms:
            continue
        for value in values.split(","):
            value = value.strip()
            if platform in ("lambda", "sagemaker-serverless"):
                configs.append(catalog.validate(Config(platform, memory_mb=int(value))))
            else:
                configs.append(catalog.validate(Config(platform, instance_type=value)))
    return configs


def _profile_request(body: dict[str, Any]) -> tuple[Any, str, list[Config], Any]:
    """Validate a profile request whole, before any trial starts: (spec, backend, configs, plan)."""
    from profilers.inference import InferencePlan

    workload_id = _workload_id(body)
    spec = builtin(workload_id)
    backend_name = body.get("backend") or settings.get("BACKEND")
    if backend_name != "local":
        raise BadInput(f"backend {backend_name!r} cannot run live trials yet", hint="use --backend local",
                       fields={"backend": "unsupported"})
    platforms = parse_platforms(body.get("platform"))
    max_trials = _number(body, "max_trials", None, int, 1)
    strategy = body.get("strategy", "grid")
    if strategy not in ("grid", "adaptive"):
        raise BadInput(f"unknown strategy {strategy!r}", hint="grid or adaptive", fields={"strategy": "unknown"})
    if strategy == "adaptive":
        if not body.get("sla"):
            raise BadInput("the adaptive strategy needs the SLA it profiles for", hint="e.g. --sla 'p95<=50ms'",
                           fields={"sla": "required"})
        SLA.parse(str(body["sla"]), _number(body, "rps", None, float))
        if platforms != ("lambda",) and body.get("platform"):
            raise BadInput("the adaptive strategy explores Lambda memory sizes so far",
                           hint="use --platform lambda, or the grid strategy for instances",
                           fields={"platform": "not supported by adaptive"})
    configs = [Config.from_dict(c) for c in body["configs"]] if body.get("configs") else default_grid(platforms)
    for c in configs:
        catalog.validate(c)
    if max_trials:
        configs = configs[:max_trials]
    plan = InferencePlan(latency_target_ms=_number(body, "latency_target_ms", 250.0, float, 1.0),
                         seed=int(settings.get("SEED")), invocations=_number(body, "invocations", 40, int, 5))
    return spec, backend_name, configs, plan


def profile(body: dict[str, Any], progress: Progress = lambda f, m: None) -> dict[str, Any]:
    """Profile a built-in workload on a grid of configs (or adaptively, for an SLA); store every profile."""
    from advisor import backends
    from profilers.inference import profile as run_profile

    spec, backend_name, configs, plan = _profile_request(body)
    backend = backends.get(backend_name)
    model_path = backend.model_path(spec)
    if body.get("strategy") == "adaptive":
        return _profile_adaptively(body, spec, backend, plan, model_path, progress)
    results: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for k, config in enumerate(configs):
        reason = backend.check(config)
        if reason:
            skipped.append({"config": config.to_dict(), "reason": reason})
            continue

        def step(fraction: float, message: str, k: int = k) -> None:
            progress((k + fraction) / len(configs), message)

        prof = run_profile(backend, spec, config, plan, step, model_path=model_path)
        store().add_profiles([prof], spec.kind)  # one trial, one transaction: a crash keeps the trials done
        results.append(_profile_dict(prof))
    progress(1.0, "done")
    return {"workload": spec.id, "backend": backend_name, "profiles": results, "skipped": skipped}


def _profile_adaptively(body: dict[str, Any], spec: Any, backend: Any, plan: Any, model_path: Any,
                        progress: Progress) -> dict[str, Any]:
    """Profile only what the exploration asks for: the configs expected to lower the cost under the SLA."""
    from advisor import prices as price_tables
    from profilers.inference import profile as run_profile
    from recommender.adaptive import adaptive_trials, cost_function

    rps = _number(body, "rps", None, float)
    sla = SLA.parse(str(body["sla"]), rps)
    budget = _number(body, "max_trials", 3, int, 1)
    confidence = _number(body, "confidence", settings.get("CONFIDENCE"), float, 0.5)
    candidates = [c for c in catalog.lambda_candidates() if backend.check(c) is None]
    skipped = [{"config": c.to_dict(), "reason": r} for c in catalog.lambda_candidates()
               if (r := backend.check(c)) is not None]
    first = min(candidates, key=lambda c: abs((c.memory_mb or 0) - catalog.LAMBDA_MB_PER_VCPU))
    cost = cost_function(sla, rps or 1.0, price_tables.from_settings(), {})
    history = [p for w in store().list_workloads() if w["id"] != spec.id
               for p in store().profiles(w["id"]) if p.config in set(candidates)]
    done: list[Profile] = []

    def run_trial(config: Config) -> Profile:
        def step(fraction: float, message: str) -> None:
            progress((len(done) + fraction) / budget, message)

        prof = run_profile(backend, spec, config, plan, step, model_path=model_path)
        store().add_profiles([prof], spec.kind)
        done.append(prof)
        return prof

    profiles, run = adaptive_trials(candidates, first, run_trial, history, sla, budget, confidence, cost)
    progress(1.0, "done")
    return {"workload": spec.id, "backend": backend.name, "strategy": "adaptive", "sla": sla.text,
            "profiles": [_profile_dict(p) for p in profiles], "skipped": skipped,
            "stopped_because": run.stopped_because or "the exploration found nothing more worth measuring",
            "history_profiles": len(history)}


def _profile_dict(p: Profile) -> dict[str, Any]:
    return {"config": p.config.to_dict(), "key": p.config.key, "method": p.method, "feasible": p.feasible,
            "note": p.note, "summary": p.summary, "measurements": len(p.measurements)}


def start_profile_job(body: dict[str, Any]) -> dict[str, Any]:
    """Validate now, profile in the background; the caller polls the job."""
    _profile_request(body)  # refuse a bad request now, not in the background
    job_id = store().create_job("profile", body)

    def run() -> None:
        st = store()
        st.update_job(job_id, status="running")
        try:
            result = profile(body, lambda f, m: st.update_job(job_id, progress=round(f, 4), message=m))
            st.update_job(job_id, status="succeeded", progress=1.0, result=result)
        except AdvisorError as exc:
            st.update_job(job_id, status="failed", error=exc.to_dict()["error"])
        except Exception as exc:  # a job must always end in a state the user can read
            log.exception("profile job %s failed", job_id)
            st.update_job(job_id, status="failed", error={"code": "internal", "message": str(exc), "hint": "",
                                                          "fields": {}})

    threading.Thread(target=run, name=job_id, daemon=True).start()
    return store().get_job(job_id)


def get_job(job_id: str) -> dict[str, Any]:
    return store().get_job(job_id)


# -- importing ------------------------------------------------------------------------------------------------------
def import_profiles(text: str, source: str = "the file", fmt: str = "auto", workload: str | None = None,
                    architecture: str = "x86_64") -> dict[str, Any]:
    """Import measurements (CSV v1, CloudWatch REPORT lines, Power Tuning or Inference Recommender output) whole,
    in one transaction, or refuse them whole."""
    from profilers.importers import kind_of, parse, profiles_from_rows

    if architecture not in ("x86_64", "arm64"):
        raise BadInput(f"unknown architecture {architecture!r}", hint="x86_64 or arm64",
                       fields={"architecture": "unknown"})
    rows, fmt = parse(text, source, fmt, workload, architecture)
    profiles = profiles_from_rows(rows, method=f"import:{fmt}")
    by_workload: dict[str, list[Any]] = {}
    for r in rows:
        by_workload.setdefault(r.workload, []).append(r)
    st = store()
    for workload_id, items in by_workload.items():  # kinds first, so a training file is not filed as inference
        if st.get_workload(workload_id) is None:
            st.upsert_workload(workload_id, kind_of(items), f"imported from {source}")
    st.add_profiles(profiles)
    return {"source": source, "format": fmt, "rows": len(rows), "profiles": len(profiles),
            "workloads": sorted(by_workload), "infeasible": sum(1 for p in profiles if not p.feasible)}


# -- recommending -------------------------------------------------------------------------------------------------
_models: dict[tuple[str, str, str, float], Any] = {}
_answers: dict[tuple[str, str], tuple[dict[str, Any], bytes]] = {}  # identical inputs give the identical answer


def fitted_model(workload_id: str, confidence: float, version: str) -> tuple[Any, list[Profile]]:
    """The workload's performance model, refit only when its profiles change (VERSION)."""
    from recommender.model import PerformanceModel

    st = store()
    key = (st.url, workload_id, version, confidence)
    with _lock:
        hit = _models.get(key)
    if hit is None:
        profiles = st.profiles(workload_id)
        model = PerformanceModel.fit(profiles, confidence)
        latest = st.latest_model(workload_id)
        if latest is None or latest["profiles_version"] != version:
            st.save_model(workload_id, version, model.params())  # kept for inspection and drift checks
        hit = (model, profiles)
        with _lock:
            _models.clear() if len(_models) > 64 else None
            _models[key] = hit
    return hit


def recommend(body: dict[str, Any]) -> dict[str, Any]:
    """The cheapest config that meets the SLA, with predictions, costs, runners-up and every rejection."""
    return _recommend(body)[0]


def recommend_json(body: dict[str, Any]) -> bytes:
    """The same answer, serialized once and reused for identical requests (the API's fast path)."""
    return _recommend(body)[1]


def _recommend(body: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    from advisor import prices as price_tables
    from advisor import answers
    from recommender.search import metric_for, search

    workload_id, version = _workload_and_version(body)
    if not body.get("sla") or not isinstance(body.get("sla"), str):
        raise BadInput("sla is required", hint="e.g. 'p95<=250ms' or 'deadline<=2h'", fields={"sla": "required"})
    rps = _number(body, "rps", None, float)
    sla = SLA.parse(body["sla"], rps)
    if sla.kind == "deadline":
        raise BadInput("training deadlines are not supported by this advisor yet",
                       hint="give a latency SLA such as 'p95<=250ms'", fields={"sla": "deadline unsupported"})
    platforms = parse_platforms(body.get("platform"))
    confidence = _number(body, "confidence", settings.get("CONFIDENCE"), float, 0.5)
    if confidence >= 1:
        raise BadInput("confidence must be below 1", hint="e.g. 0.9", fields={"confidence": "out of range"})
    hours = float(settings.get("HOURS_PER_MONTH"))
    table = price_tables.from_settings()
    request = {"workload": workload_id, "sla": sla.text, "rps": rps, "platform": list(platforms),
               "confidence": confidence, "region": table.region}
    rec_id = "rec-" + hashlib.sha256(json.dumps(
        [request, version, table.as_of, hours, sorted((k, p.effective_usd) for k, p in table.prices.items())],
        sort_keys=True).encode()).hexdigest()[:16]
    with _lock:
        cached = _answers.get((store().url, rec_id))
    if cached is not None:
        return cached
    model, profiles = fitted_model(workload_id, confidence, version)
    if not profiles:
        raise NoFeasibleConfig(f"workload {workload_id!r} has no profiles yet",
                               hint=f"run `advisor profile --workload {workload_id}` or import measurements first",
                               fields={"workload": "no profiles"})
    effective_rps = rps if rps is not None else 1.0
    result = search(catalog.candidates(platforms), model, sla, effective_rps, table, hours)

    basis = {"profiles": len(profiles), "prices_as_of": table.as_of, "region": table.region,
             "model": model.describe(), "confidence": confidence,
             "measured_by": sorted({p.method for p in profiles}),
             "rps_assumed": rps is None,
             "notes": _basis_notes(profiles)}
    chosen = result.chosen
    if chosen is None:
        raise NoFeasibleConfig(
            f"no candidate meets {sla.text}" + (f" at {rps:g} rps" if rps else ""),
            hint="relax the SLA, lower the confidence, or add platforms; the closest configs are listed",
            fields={"sla": "not met by any candidate"}, extra={"closest": answers.closest(result), "basis": basis})
    answer = answers.recommendation(rec_id, workload_id, sla, result, metric_for(sla) or "",
                                    [p.config.to_dict() for p in profiles], basis)
    text = json.dumps(answer)
    store().save_recommendation(rec_id, workload_id, request, text)
    done = (answer, text.encode())
    with _lock:
        if len(_answers) > 256:
            _answers.clear()
        _answers[(store().url, rec_id)] = done
    return done


def _basis_notes(profiles: list[Profile]) -> list[str]:
    notes = []
    if any(p.method.startswith("local:") for p in profiles):
        notes.append("local profiles emulate Lambda's CPU share and instance vCPUs on this machine's CPUs; "
                     "they are not measurements on AWS hardware")
    return notes


def recommend_from_measurements(body: dict[str, Any], csv_text: str, source: str) -> dict[str, Any]:
    """What-if: recommend for a workload of a measurements CSV, replaying at most max_trials of its configs and
    learning from every other workload in the file. Nothing is written to the store."""
    from advisor import answers
    from advisor import prices as price_tables
    from advisor.backends.replay import ReplayBackend
    from profilers.importers import profiles_from_rows, read_csv
    from recommender.adaptive import cost_function, evaluations, hourly_overrides, recommend_from_profiles
    from recommender.search import SearchResult, metric_for

    workload_id = body.get("workload")
    if not workload_id or not isinstance(workload_id, str):
        raise BadInput("workload is required", hint="a workload id from the file", fields={"workload": "required"})
    if not body.get("sla") or not isinstance(body.get("sla"), str):
        raise BadInput("sla is required", hint="e.g. 'p95<=250ms' or 'deadline<=2h'", fields={"sla": "required"})
    rps = _number(body, "rps", None, float)
    sla = SLA.parse(body["sla"], rps)
    budget = _number(body, "max_trials", 3 if sla.kind == "latency" else 6, int, 1)
    confidence = _number(body, "confidence", settings.get("CONFIDENCE"), float, 0.5)
    if confidence >= 1:
        raise BadInput("confidence must be below 1", hint="e.g. 0.9", fields={"confidence": "out of range"})
    profiles = profiles_from_rows(read_csv(csv_text, source))
    replay = ReplayBackend(profiles, workload_id, budget)
    platforms = parse_platforms(body.get("platform"), PLATFORMS) if body.get("platform") else None
    candidates = [c for c in replay.candidates() if platforms is None or c.platform in platforms]
    if not candidates:
        raise BadInput(f"no config of {workload_id!r} in the file is on the platforms asked",
                       hint="drop --platform or name the file's platforms", fields={"platform": "no candidates"})
    effective_rps = rps if rps is not None else 1.0
    hours = float(settings.get("HOURS_PER_MONTH"))
    table = price_tables.from_settings()
    cost = cost_function(sla, effective_rps, table, hourly_overrides(profiles))
    history = [p for p in replay.history if p.config in set(candidates)]
    result = recommend_from_profiles(candidates, history, replay.trial, sla, budget, confidence, cost)
    search_result = SearchResult(sla, effective_rps, evaluations(result, sla, effective_rps, hours, confidence,
                                                                 len({p.workload for p in history})))
    basis = {"profiles": len(replay.revealed), "prices_as_of": table.as_of, "region": table.region,
             "model": "history prior: other workloads of the file shifted to the target's trials, weighted by "
                      "shape agreement; trials chosen by constrained expected improvement",
             "confidence": confidence, "measured_by": ["replay"], "rps_assumed": rps is None,
             "history_workloads": len({p.workload for p in history}), "source": source,
             "stopped_because": result.exploration.stopped_because,
             "notes": ["trials were replayed from the file; nothing was stored"]}
    if search_result.chosen is None:
        raise NoFeasibleConfig(f"no config of {workload_id!r} is known or predicted to meet {sla.text}",
                               hint="relax the SLA or allow more trials (--max-trials)",
                               fields={"sla": "not met by any candidate"},
                               extra={"closest": answers.closest(search_result), "basis": basis})
    rec_id = "rec-" + hashlib.sha256(json.dumps([body, hashlib.sha256(csv_text.encode()).hexdigest()],
                                                sort_keys=True, default=str).encode()).hexdigest()[:16]
    return answers.recommendation(rec_id, workload_id, sla, search_result, metric_for(sla) or "",
                                  [c.to_dict() for c in result.exploration.order], basis)


def get_recommendation(rec_id: str) -> dict[str, Any]:
    return store().get_recommendation(rec_id)


# -- prices -------------------------------------------------------------------------------------------------------
def prices_show(region: str | None = None) -> dict[str, Any]:
    from advisor import prices as price_tables

    table = price_tables.load(region or settings.get("REGION"), settings.get("PRICE_OVERRIDES"),
                              settings.get("DISCOUNTS"))
    data = table.to_dict()
    priced = {k.removeprefix("sagemaker.") for k in table.prices if k.startswith("sagemaker.ml.")}
    data["unpriced_instance_types"] = sorted(t.sagemaker_name for t in catalog.INSTANCE_TYPES.values()
                                             if t.sagemaker_name not in priced)
    data["regions"] = price_tables.available_regions()
    return data
