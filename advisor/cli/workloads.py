"""`advisor workloads`: list them; add, show and remove a user's own model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from advisor.cli import _emit_json, handles_errors, json_option, main
from advisor.cli.render import duration


@main.group(invoke_without_command=True)
@json_option
@click.pass_context
def workloads(ctx: click.Context, as_json: bool) -> None:
    """List the workloads and how many profiles each has; add, show or remove a model of your own."""
    if ctx.invoked_subcommand is None:
        _list(as_json=as_json)


@handles_errors
def _list(as_json: bool) -> None:
    from advisor import service

    rows = service.list_workloads()
    if as_json:
        _emit_json(rows)
        return
    click.echo(f"{'WORKLOAD':<28} {'KIND':<10} {'PROFILES':>8}  DESCRIPTION")
    for r in rows:
        click.echo(f"{r['id']:<28} {r['kind']:<10} {r['profiles']:>8}  {r['description']}")


@workloads.command("add")
@click.argument("name")
@click.option("--model", "model_path", required=True, type=click.Path(path_type=Path),
              help="A Keras 3 .keras file or a TensorFlow SavedModel directory.")
@click.option("--sample", "sample_path", default=None, type=click.Path(path_type=Path),
              help='To serve: one request in TensorFlow Serving\'s REST format, {"instances": [...]} or '
                   '{"inputs": ...}.')
@click.option("--kind", default="inference", show_default=True, type=click.Choice(["inference", "training"]),
              help="Serve the model (inference) or train it (training).")
@click.option("--data", "data_path", default=None, type=click.Path(path_type=Path),
              help="To train: an .npz with the target as y and the inputs as x (or under the model's input names).")
@click.option("--loss", default=None, help="To train: a Keras loss name (default: the loss the model was saved with).")
@click.option("--batch-size", type=int, default=None,
              help="Rows per request (the sample's instances repeated or cut to this many), or per training step "
                   "(default 32).")
@click.option("--description", default="", help="What the model is, for listings.")
@click.option("--lambda-package", default="zip", show_default=True, type=click.Choice(["zip", "image"]),
              help="How the model would ship to Lambda: a .zip (250 MB unzipped) or a container image (10 GB).")
@json_option
@handles_errors
def add(name: str, model_path: Path, sample_path: Path | None, kind: str, data_path: Path | None, loss: str | None,
        batch_size: int | None, description: str, lambda_package: str, as_json: bool) -> None:
    """Add your own model as workload NAME: it is loaded and answers the sample once (or takes one training step
    on the data) in a worker process, and a copy is kept by content."""
    from advisor import service

    sample = service.read_sample(sample_path) if sample_path is not None else None
    if not as_json:
        check = "answering the sample" if kind == "inference" else "taking a training step on the data"
        click.echo(f"checking {model_path.name}: loading it and {check} in a worker process ...", err=True)
    done = service.add_model(name, model_path, sample, kind=kind, description=description, batch_size=batch_size,
                             lambda_package=lambda_package, data_path=data_path, loss=loss)
    if as_json:
        _emit_json(done)
        return
    model = done["model"]
    click.echo(f"{done['workload']}: {done['status']} (version {done['version']}): {model['format']} model, "
               f"{model['parameters']:,} parameters, {model['size_bytes'] / 1e6:.2f} MB on disk")
    if done.get("archived_profiles_as"):
        click.echo(f"the previous version's profiles are kept as {done['archived_profiles_as']}")
    if model.get("samples"):
        click.echo(f"training: {model['samples']:,} samples, loss {model.get('loss', '')}, "
                   f"{model['trainable_parameters'] * 4 / 1e6:.2f} MB of float32 gradient a step")
    click.echo(f"next: advisor profile --workload {done['workload']}")


@workloads.command("show")
@click.argument("name")
@json_option
@handles_errors
def show(name: str, as_json: bool) -> None:
    """Show a workload: its model, request and profiles."""
    from advisor import service

    w = service.get_workload(name)
    if as_json:
        _emit_json(w)
        return
    click.echo(f"{'workload':<10} {w['id']} ({w['kind']}, {w['source']})")
    click.echo(f"{'about':<10} {w['description']}")
    params = w["params"]
    if params.get("model"):
        _show_model(params)
    click.echo(f"{'profiles':<10} {len(w['profiles'])}")
    for p in w["profiles"]:
        s = p["summary"]
        if not p["feasible"]:
            click.echo(f"  {p['config_key']:<40} infeasible: {p['note']}")
        elif "p95_ms" in s:
            click.echo(f"  {p['config_key']:<40} p95 {duration(s['p95_ms']):>10}  cold start "
                       f"{duration(s.get('cold_start_ms')):>9}  ({p['method']})")
        else:
            click.echo(f"  {p['config_key']:<40} ({p['method']})")


def _show_model(params: dict[str, Any]) -> None:
    model = params["model"]
    click.echo(f"{'model':<10} {Path(model['file']).name}: {model['format']}, {model['size_bytes'] / 1e6:.2f} MB on "
               f"disk, {model['parameters']:,} parameters, version {params['version']}, sha256 "
               f"{model['digest'][:16]}...")
    for input_name, spec in model["signature"].items():
        click.echo(f"{'input':<10} {input_name}: {spec['dtype']} {spec['shape']}")
    if params.get("data"):
        click.echo(f"{'training':<10} {params['samples']:,} samples ({params['data']['size_bytes'] / 1e6:.2f} MB), "
                   f"batch {params['batch_size']}, loss {params['loss']}, {model['trainable_parameters'] * 4 / 1e6:.2f}"
                   " MB of float32 gradient a step")
        return
    click.echo(f"{'output':<10} {model['output_shape']} for one request")
    click.echo(f"{'request':<10} {params.get('batch_size') or '?'} rows, {params['request_bytes']:,} bytes; Lambda "
               f"package: {params['lambda_package']}; model load {duration(model.get('load_ms'))} (with TensorFlow's "
               "import, on this machine)")


@workloads.command("remove")
@click.argument("name")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@handles_errors
def remove(name: str, yes: bool, as_json: bool) -> None:
    """Remove a workload you added or imported, with its profiles and answers."""
    from advisor import service

    if not yes and not as_json:
        click.confirm(f"remove {name} with its profiles and answers?", abort=True, err=True)
    done = service.remove_workload(name)
    if as_json:
        _emit_json(done)
        return
    click.echo(f"removed {done['workload']} and its {done['profiles_removed']} profiles")
