"""Training: slices of a training workload on the local backend, and deadline recommendations from them."""

from __future__ import annotations

from typing import Any

from advisor.core import platforms, settings
from advisor.core.domain import Config
from advisor.core.errors import BadInput, NoFeasibleConfig
from advisor.service.common import Progress, save_answer, store


def configured_channels() -> dict[str, dict[str, Any]]:
    from profilers.training import parse_channels

    try:
        return parse_channels(str(settings.get("TRAINING_CHANNELS")))
    except ValueError as exc:
        raise BadInput(str(exc), hint="e.g. ADVISOR_TRAINING_CHANNELS='memcached=127.0.0.1:11211;s3=my-bucket'",
                       fields={"ADVISOR_TRAINING_CHANNELS": "invalid"}) from exc


def profile_training(spec: Any, configs: list[Config], steps: int, progress: Progress) -> dict[str, Any]:
    """A slice on each config this machine can emulate; every profile stored as soon as it is measured."""
    from advisor.service.answers import profile_dict
    from profilers.training import not_emulable, slice_profile

    channels = configured_channels()
    results, skipped = [], []
    for k, config in enumerate(configs):
        reason = not_emulable(config)
        if reason:
            skipped.append({"config": config.to_dict(), "key": config.key, "reason": reason})
            continue

        def step(fraction: float, message: str, k: int = k) -> None:
            progress((k + fraction) / len(configs), message)

        prof = slice_profile(spec, config, steps, channels, step)
        store().add_profiles([prof], "training")
        results.append(profile_dict(prof))
    progress(1.0, "done")
    notes = [] if channels else ["no gradient channel configured (ADVISOR_TRAINING_CHANNELS): Lambda training is "
                                 "predicted for one worker only"]
    return {"workload": spec.id, "backend": "local", "profiles": results, "skipped": skipped, "notes": notes}


def recommend_training(request: Any, version: str) -> tuple[dict, bytes]:
    """The cheapest training config that meets the deadline, from the workload's training slices."""
    from advisor.core import prices as price_tables
    from advisor.service import answers
    from advisor.core.errors import NotFound
    from advisor.service.workloads import runnable
    from advisor.workloads.serverless_training.worker import gradient_bytes
    from recommender.training import TrainingJob, recommend_training as search_training

    try:
        spec = runnable(request.workload)  # a built-in workload or a user's model: its batch and gradient
    except NotFound:
        spec = None  # known only by imported measurements
    samples = request.samples or (spec.params.get("samples") if spec else None)
    if samples is None:
        raise BadInput("a training deadline needs the samples per epoch", hint="e.g. --samples 1000000",
                       fields={"samples": "required"})
    job = TrainingJob(samples, request.epochs, spec.batch_size if spec else 256, gradient_bytes(spec) if spec else 0)
    from advisor.service.training_runs import measured_runs
    from recommender.training import calibrations, training_slices

    table = price_tables.from_settings()
    runs = measured_runs(request.workload)
    if runs:  # a new run changes the answer
        version = f"{version}+runs:{','.join(sorted(r.run for r in runs))}"
    rec_id = request.answer_id(version, table.fingerprint, table.region, samples)
    profiles = [p for p in store().profiles(request.workload) if platforms.of(p.config).training]
    if not any("step_ms" in p.summary for p in profiles):
        raise NoFeasibleConfig(f"workload {request.workload!r} has no training slices yet",
                               hint=f"run `advisor profile --workload {request.workload}` first",
                               fields={"workload": "no training slices"})
    corrected = calibrations(runs, training_slices(profiles), job, request.sla, table) if runs else {}
    result = search_training(profiles, request.sla, job, table, corrected=corrected)
    basis = answers.basis(
        request, table, profiles, samples=samples, epochs=request.epochs,
        model="training slices extrapolated: iterations x step time on instances; on Lambda, the analytical model of "
              "compute + gradient exchange + wait (recommender/serverless_model.py)",
        notes=["local slices emulate Lambda's CPU share and instance vCPUs on this machine's CPUs; channel probes "
               "measure the channels configured here, not AWS's"]
        if any(p.method.startswith("local:") for p in profiles) else [])
    if corrected:  # channel -> measured/predicted iteration of its runs
        basis["corrected_by_runs"] = {channel or "none": {"factor": round(c.factor, 4), "runs": list(c.runs)}
                                      for channel, c in corrected.items()}
    answers.raise_if_none_meets(result, request, basis, "relax the deadline or profile more configs")
    answer = answers.recommendation(rec_id, request.workload, request.sla, result, "duration_ms",
                                    [p.config.to_dict() for p in profiles], basis)
    return save_answer(rec_id, request, answer)
