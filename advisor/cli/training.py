"""`advisor train` carries out a serverless-training configuration here; `advisor runs` lists the runs."""

from __future__ import annotations

import sys
from typing import Any

import click

from advisor.cli import ProgressBar, _emit_json, handles_errors, json_option, main


@main.command()
@click.option("--recommendation", default=None,
              help="A deadline recommendation whose training config to run (sagemaker-training: with --backend aws).")
@click.option("--workload", default=None, help="Instead: the workload to train...")
@click.option("--config", default=None,
              help="...on this config, e.g. lambda-training:1769 (or sagemaker-training:ml.c5.xlarge:2 on AWS)...")
@click.option("--workers", type=int, default=None, help="...with this many workers...")
@click.option("--channel", default=None,
              help="...exchanging through memcached (started here), memcached=HOST:PORT, s3=BUCKET or dynamodb=TABLE.")
@click.option("--steps", type=int, default=None, help="Steps to train (default: the recommendation's epochs).")
@click.option("--resume", default=None, help="Carry on a stopped run from its checkpoints.")
@click.option("--backend", type=click.Choice(["local", "aws"]), default=None,
              help="local: worker processes here (Lambda's CPU share emulated; the default); aws: Lambda workers over "
                   "S3 or DynamoDB, or a SageMaker training job for a sagemaker-training config.")
@click.option("--checkpoint-every", "budget_s", type=float, default=None,
              help="Seconds between checkpoints (each worker's invocation budget; default 30).")
@json_option
@handles_errors
def train(recommendation: str | None, workload: str | None, config: str | None, workers: int | None,
          channel: str | None, steps: int | None, resume: str | None, backend: str | None, budget_s: float | None,
          as_json: bool) -> None:
    """Run a training job as the recommendation describes it, on this machine (Lambda's CPU share emulated) or on
    AWS, with checkpoints: Ctrl-C stops it (on AWS, the run's function is deleted), `--resume RUN` carries it on."""
    from advisor.cli.signals import terminate_as_interrupt
    from advisor.service import training_runs

    body: dict[str, Any] = {"recommendation": recommendation, "workload": workload, "config": config,
                            "workers": workers, "channel": channel, "steps": steps, "resume": resume,
                            "backend": backend, "budget_s": budget_s}
    prepared = training_runs.prepare({k: v for k, v in body.items() if v is not None})
    if not as_json:
        where = "on AWS" if prepared["backend"] == "aws" else "here (Lambda's CPU share emulated)"
        click.echo(f"run {prepared['run_id']}: {prepared['config'].key}, {prepared['steps']} steps, {where}", err=True)
    with terminate_as_interrupt():
        record = training_runs.execute(prepared, ProgressBar(sys.stderr.isatty() and not as_json))
    if as_json:
        _emit_json(record)
        return
    click.echo(_line(record))
    epochs = (record.get("result") or {}).get("held_out_epochs") or []
    if epochs:
        click.echo(f"{'epoch':>7} {'step':>7} {'held-out loss':>14} {'AUC':>6}")
        for e in epochs:
            auc = f"{e['auc']:.3f}" if e.get("auc") is not None else "-"
            click.echo(f"{e['epoch']:>7g} {e['step']:>7} {e['loss']:>14.4f} {auc:>6}")


def _line(r: dict[str, Any]) -> str:
    res = r.get("result") or {}
    if r["status"] != "succeeded":
        err = r.get("error") or {}
        return f"{r['id']:<18} {r['status']:<10} {err.get('message', '')}"
    predicted = f"{res['predicted_s']:.1f} s" if res.get("predicted_s") is not None else "-"
    held = res.get("held_out") or {}
    quality = (f"  held-out loss {held['loss']:.4f}" + (f", AUC {held['auc']:.3f}" if held.get("auc") is not None
                                                         else "")) if "loss" in held else ""
    step = ""
    if res.get("step_ms_median") is not None:  # the model's unit: a run's wall time also holds its workers' start
        step = f", step {res['step_ms_median']:.1f} ms" + (f" (predicted {res['step_ms_predicted']:.1f} ms)"
                                                           if res.get("step_ms_predicted") is not None else "")
    return (f"{r['id']:<18} {r['status']:<10} {res['key']:<44} {res['steps']:>6} steps  {res['measured_s']:>8.1f} s "
            f"(predicted {predicted}{step})  ${res['usd_measured']:.6f}{quality}")


@main.command()
@json_option
@handles_errors
def runs(as_json: bool) -> None:
    """Training runs, newest first, with their measured time and cost beside the prediction."""
    from advisor.service import training_runs

    rows = training_runs.list_runs()
    if as_json:
        _emit_json(rows)
        return
    if not rows:
        click.echo("no training runs (start one with `advisor train`)")
    for r in rows:
        click.echo(_line(r))
