"""Profiling: grid and adaptive trials of a built-in workload, and profiling jobs for the API."""

from __future__ import annotations

import contextvars
import threading
from typing import Any

from advisor import backends
from advisor.core import platforms, settings
from advisor.core.domain import SLA, Config, Profile
from advisor.core.errors import AdvisorError, BadInput
from advisor.service.answers import profile_dict
from advisor.service.common import Progress, _number, _workload_id, answerable, log, parse_platforms, store
from advisor.service.workloads import footprint, runnable


def default_grid(platform_names: tuple[str, ...] | None, setting: str = "BOOTSTRAP_GRID") -> list[Config]:
    """The configs a grid setting names (ADVISOR_BOOTSTRAP_GRID, or ADVISOR_TRAINING_GRID for training), e.g.
    'lambda:512,1024;sagemaker-realtime:ml.c5.large', limited to PLATFORMS when given."""
    configs: list[Config] = []
    for part in str(settings.get(setting)).split(";"):
        platform, _, values = part.partition(":")
        platform = platform.strip()
        if platform_names is not None and platform not in platform_names:
            continue
        for value in filter(None, (v.strip() for v in values.split(","))):
            configs.append(platforms.validate(platforms.get(platform).parse(value)))
    return configs


def _profile_request(body: dict[str, Any]) -> tuple[Any, str, list[Config], Any]:
    """Validate a profile request whole, before any trial starts: (spec, backend, configs, plan)."""
    from profilers.inference import InferencePlan

    if body.get("function"):
        return _function_request(body)
    workload_id = _workload_id(body)
    spec = runnable(workload_id)
    backend_name = body.get("backend") or settings.get("BACKEND")
    if backend_name not in backends.names(live=True):
        raise BadInput(f"backend {backend_name!r} cannot run live trials", hint="one of: "
                       + ", ".join(backends.names(live=True)), fields={"backend": "unsupported"})
    backend = backends.get(backend_name)
    if backend.costs_money:
        from advisor.core.aws import require_credentials

        require_credentials("profiling on AWS")
    platform_names = parse_platforms(body.get("platform") or backend.default_platforms(), platforms.names())
    max_trials = _number(body, "max_trials", None, int, 1)
    max_usd = _number(body, "max_usd", None, float, 0.0)
    strategy = body.get("strategy", "grid")
    if strategy not in ("grid", "adaptive"):
        raise BadInput(f"unknown strategy {strategy!r}", hint="grid or adaptive", fields={"strategy": "unknown"})
    if strategy == "adaptive":
        if not body.get("sla"):
            raise BadInput("the adaptive strategy needs the SLA it profiles for", hint="e.g. --sla 'p95<=50ms'",
                           fields={"sla": "required"})
        answerable(SLA.parse(str(body["sla"]), _number(body, "rps", None, float)))
        if body.get("platform") and not all(platforms.get(n).explorable for n in platform_names):
            raise BadInput("the adaptive strategy explores Lambda memory sizes so far",
                           hint="use --platform lambda, or the grid strategy for instances",
                           fields={"platform": "not supported by adaptive"})
    if body.get("configs"):
        configs = [Config.from_dict(c) for c in body["configs"]]
    elif spec.kind == "training":
        configs = default_grid(platform_names if body.get("platform") else None, "TRAINING_GRID")
    else:
        configs = default_grid(platform_names)
    for c in configs:
        platforms.validate(c)
    fp = footprint(workload_id)
    _something_to_profile(configs, body, backend.name, lambda c: platforms.of(c).refuses(c, fp) if
                          spec.kind == "training" else refusal(backend, c, fp))
    if max_trials:
        configs = configs[:max_trials]
    bursts = 2 * (_number(body, "concurrency", None, int, 1) or 0)  # each config's burst, when one is asked for
    estimated_usd = backend.estimated_usd(configs, _number(body, "invocations", 40, int, 5) + bursts)
    if max_usd is not None and estimated_usd > max_usd:
        raise BadInput(f"the trials could cost up to ${estimated_usd:.4f}, over --max-usd ${max_usd:.4f}",
                       hint="raise --max-usd, or profile fewer configs (--max-trials)", fields={"max_usd": "exceeded"})
    plan = InferencePlan(latency_target_ms=_number(body, "latency_target_ms", 250.0, float, 1.0),
                         seed=int(settings.get("SEED")), invocations=_number(body, "invocations", 40, int, 5))
    return spec, backend, configs, plan


def _function_request(body: dict[str, Any]) -> tuple[Any, Any, list[Config], Any]:
    """Tuning a user's existing Lambda function (on AWS only): its configuration is read first, so the default
    sizes take its architecture and the cost bound its timeout."""
    from advisor.workloads import WorkloadSpec
    from profilers.inference import InferencePlan

    if (body.get("backend") or "aws") != "aws":
        raise BadInput("an existing Lambda function is tuned on AWS", hint="use --backend aws with --function",
                       fields={"backend": "must be aws"})
    if "payload" not in body:
        raise BadInput("tuning a function needs the payload to invoke it with", hint="give --payload FILE (JSON)",
                       fields={"payload": "required"})
    from advisor.core.aws import require_credentials

    require_credentials("tuning a Lambda function")
    backend = backends.get("aws")
    facts = backend.function_facts(str(body["function"]))
    workload_id = body.get("workload") or facts["name"]
    if body.get("configs"):
        configs = [platforms.validate(Config.from_dict(c)) for c in body["configs"]]
    else:
        configs = [Config("lambda", memory_mb=c.memory_mb, architecture=facts["architecture"])
                   for c in default_grid(("lambda",))]
    wrong = [c.key for c in configs if platforms.of(c).aws_trials != "function"]
    if wrong or not configs:
        raise BadInput(f"a Lambda function is tuned at Lambda sizes, not {', '.join(wrong) or 'nothing'}",
                       hint="give --config lambda:1024 ...", fields={"configs": "not lambda"})
    invocations = _number(body, "invocations", 40, int, 5)
    bursts = 2 * (_number(body, "concurrency", None, int, 1) or 0)
    estimated_usd = backend.estimated_usd(configs, invocations + bursts, facts["timeout_s"])
    max_usd = _number(body, "max_usd", None, float, 0.0)
    if max_usd is not None and estimated_usd > max_usd:
        raise BadInput(f"tuning could cost up to ${estimated_usd:.4f}, over --max-usd ${max_usd:.4f}",
                       hint="raise --max-usd, or tune fewer sizes", fields={"max_usd": "exceeded"})
    spec = WorkloadSpec(workload_id, "inference", f"Lambda function {facts['name']}, tuned in place",
                        params={"function": facts["arn"], "timeout_s": facts["timeout_s"]})
    plan = InferencePlan(seed=int(settings.get("SEED")), invocations=invocations)
    return spec, backend, configs, plan


def refusal(backend: Any, config: Config, fp: Any) -> str | None:
    """Why CONFIG is not profiled: the backend cannot run it, or the workload breaks a limit of its platform."""
    return platforms.of(config).refuses(config, fp) or backend.check(config)


def _something_to_profile(configs: list[Config], body: dict[str, Any], backend_name: str,
                          refused: Any) -> None:
    """A request whose configs the backend can run none of is an error, not an empty success."""
    if not configs:
        named = body.get("platform") or "the default grid"
        raise BadInput(f"nothing to profile: the grid has no config of {named}",
                       hint="name configs with --config (e.g. " + "; ".join(
                           platforms.get(n).example for n in parse_platforms(body.get("platform"), platforms.names())
                           if platforms.get(n).example)[:200] + "), or set ADVISOR_BOOTSTRAP_GRID",
                       fields={"platform": "nothing to profile"})
    reasons = [refused(c) for c in configs]
    if all(reasons):
        raise BadInput(f"nothing to profile: {backend_name} can run none of the {len(configs)} configs; "
                       f"{configs[0].key}: {reasons[0]}", hint="choose configs this backend can run (see "
                       "`advisor profile --help`), or another --backend", fields={"configs": "none runnable"})


def estimate(body: dict[str, Any]) -> dict[str, Any]:
    """What a profile request would run and the most it can cost, before anything starts."""
    spec, backend, configs, plan = _profile_request(body)
    timeout_s = spec.params.get("timeout_s")  # a user's function: its own timeout, read once by _function_request
    bursts = 2 * (_number(body, "concurrency", None, int, 1) or 0)
    return {"workload": spec.id, "backend": backend.name, "configs": [c.key for c in configs],
            "max_usd": backend.estimated_usd(configs, plan.invocations + bursts, timeout_s)}


def profile(body: dict[str, Any], progress: Progress = lambda f, m: None) -> dict[str, Any]:
    """Profile a built-in workload on a grid of configs (or adaptively, for an SLA); store every profile."""
    from profilers.inference import profile as run_profile

    spec, backend, configs, plan = _profile_request(body)
    if backend.runs_own_trials:
        return _profile_by_backend(body, spec, backend, configs, plan, progress)
    if spec.kind == "training":
        from advisor.service.training import profile_training

        return profile_training(spec, configs, _number(body, "steps", 8, int, 2), progress)
    model_path = backend.model_path(spec)
    if body.get("strategy") == "adaptive":
        return _profile_adaptively(body, spec, backend, plan, model_path, progress)
    results: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    fp = footprint(spec.id)
    for k, config in enumerate(configs):
        reason = refusal(backend, config, fp)
        if reason:
            skipped.append({"config": config.to_dict(), "key": config.key, "reason": reason})
            continue

        def step(fraction: float, message: str, k: int = k) -> None:
            progress((k + fraction) / len(configs), message)

        prof = run_profile(backend, spec, config, plan, step, model_path=model_path)
        store().add_profiles([prof], spec.kind)  # one trial, one transaction: a crash keeps the trials done
        results.append(profile_dict(prof))
    progress(1.0, "done")
    return {"workload": spec.id, "backend": backend.name, "profiles": results, "skipped": skipped}


def _profile_by_backend(body: dict[str, Any], spec: Any, backend: Any, configs: list[Config], plan: Any,
                        progress: Progress) -> dict[str, Any]:
    """A backend that measures its own trials (AWS): every profile stored as soon as it is measured."""
    results: list[dict[str, Any]] = []

    def keep(prof: Profile) -> None:
        store().add_profiles([prof], spec.kind)
        results.append(profile_dict(prof))
        progress(len(results) / len(configs), f"{prof.config.key}: done")

    backend.run(spec, configs, plan, keep, progress, concurrency=_number(body, "concurrency", None, int, 1),
                steps=_number(body, "steps", 100, int, 1), function=body.get("function"), payload=body.get("payload"))
    progress(1.0, "done")
    return {"workload": spec.id, "backend": backend.name, "profiles": results, "skipped": []}


def _profile_adaptively(body: dict[str, Any], spec: Any, backend: Any, plan: Any, model_path: Any,
                        progress: Progress) -> dict[str, Any]:
    """Profile only what the exploration asks for: the configs expected to lower the cost under the SLA."""
    from advisor.core import prices as price_tables
    from profilers.inference import profile as run_profile
    from recommender.adaptive import adaptive_trials, cost_function

    rps = _number(body, "rps", None, float)
    sla = SLA.parse(str(body["sla"]), rps)
    budget = _number(body, "max_trials", 3, int, 1)
    confidence = _number(body, "confidence", settings.get("CONFIDENCE"), float, 0.5)
    explorable = platforms.candidates(tuple(n for n in platforms.names() if platforms.get(n).explorable))
    fp = footprint(spec.id)
    candidates = [c for c in explorable if refusal(backend, c, fp) is None]
    skipped = [{"config": c.to_dict(), "key": c.key, "reason": r} for c in explorable
               if (r := refusal(backend, c, fp)) is not None]
    first = min(candidates, key=lambda c: abs(platforms.vcpus(c) - 1.0))  # one full vCPU
    cost = cost_function(sla, rps or 1.0, price_tables.from_settings(), {})
    considered = set(candidates)
    history = [p for w in store().list_workloads() if w["id"] != spec.id
               for p in store().profiles(w["id"]) if p.config in considered]
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
            "profiles": [profile_dict(p) for p in profiles], "skipped": skipped,
            "stopped_because": run.stopped_because or "the exploration found nothing more worth measuring",
            "history_profiles": len(history)}


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

    context = contextvars.copy_context()  # the job runs on the caller's service State
    threading.Thread(target=context.run, args=(run,), name=job_id, daemon=True).start()
    return store().get_job(job_id)


def get_job(job_id: str) -> dict[str, Any]:
    return store().get_job(job_id)
