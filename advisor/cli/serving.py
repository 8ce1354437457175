"""Commands that serve or show: serve, prices show, prices refresh."""

from __future__ import annotations


import click

from advisor.cli import ProgressBar, _emit_json, handles_errors, json_option, main


@main.group()
def prices() -> None:
    """Price tables: dated, sourced, with overrides and discounts from settings."""


@prices.command("show")
@click.option("--region", default=None, help="Region (default: $ADVISOR_REGION).")
@json_option
@handles_errors
def prices_show(region: str | None, as_json: bool) -> None:
    """Print the price table in use, with its date and sources."""
    from advisor import service

    data = service.prices_show(region)
    if as_json:
        _emit_json(data)
        return
    origin = "refreshed from AWS's Price List" if data.get("refreshed") else "shipped with the advisor"
    click.echo(f"Prices for {data['region']} as of {data['as_of']} (USD, on-demand; {origin})")
    if data["note"]:
        click.echo(f"  {data['note']}")
    if data.get("stale"):
        click.echo(f"  Warning: {data['stale']}")
    click.echo(f"  {'KEY':<36} {'PRICE':>14}  {'UNIT':<44} {'CONFIDENCE':<10} {'AS OF':<10} SOURCE")
    for key, p in data["prices"].items():
        shown = f"{p['effective_usd']:.10g}"
        if p["discount"]:
            shown += f" (-{p['discount']:.0%})"
        click.echo(f"  {key:<36} {shown:>14}  {p['unit']:<44} {p['confidence']:<10} {p['as_of']:<10} {p['source']}")
    click.echo("Sources:")
    for name, text in data["sources"].items():
        click.echo(f"  {name}: {text}")
    click.echo(f"Unpriced here (skipped by recommendations): {', '.join(data['unpriced_instance_types'])}")
    click.echo(f"Regions with a table: {', '.join(data['regions'])}")


@prices.command("refresh")
@click.option("--region", "regions", multiple=True, help="Region to rebuild (repeat for several; default "
              "$ADVISOR_REGION).")
@click.option("--from", "source", default=None, metavar="URL|FOLDER",
              help="Where the Price List files are: the Bulk API's base URL (default AWS's, or "
                   "$ADVISOR_PRICE_LIST_URL) or a folder of downloaded files in the same layout.")
@click.option("--force", is_flag=True, help="Replace a refreshed table even if it was edited by hand since.")
@json_option
@handles_errors
def prices_refresh(regions: tuple[str, ...], source: str | None, force: bool, as_json: bool) -> None:
    """Rebuild price tables from AWS's public Price List files (no AWS account needed): SageMaker hosting and
    training instances, Lambda, ElastiCache, S3 and DynamoDB. Prices the files do not give keep their own date and
    source; the table goes to DATA_DIR/prices/REGION.json and is used from then on."""
    import sys

    from advisor import service
    from advisor.core import settings

    answer = service.refresh_prices(list(regions) or [settings.get("REGION")], source,
                                    ProgressBar(sys.stderr.isatty() and not as_json), force=force)
    if as_json:
        _emit_json(answer)
        return
    for r in answer["regions"]:
        files = ", ".join(f"{name} {s['keys']} prices (published {s['published']})"
                          for name, s in r["services"].items())
        click.echo(f"{r['region']}: {files}")
        click.echo(f"  {len(r['changed'])} prices changed or added; {len(r['kept'])} kept their earlier source; "
                   f"written to {r['written']}")
        for key, change in sorted(r["changed"].items())[:20]:
            before = "unpriced" if change["before"] is None else f"{change['before']:.10g}"
            click.echo(f"    {key:<40} {before:>14} -> {change['after']:.10g} USD")
        if len(r["changed"]) > 20:
            click.echo(f"    ... and {len(r['changed']) - 20} more (--json lists them all)")


@main.command()
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1, $ADVISOR_HOST).")
@click.option("--port", type=int, default=None, help="Port (default 8080, $ADVISOR_PORT).")
@click.option("--workers", type=int, default=None, help="WSGI worker processes (default $ADVISOR_WORKERS).")
@click.option("--bootstrap/--no-bootstrap", default=False,
              help="On an empty store, profile the reference workload on the small local grid first.")
@click.option("--with-scheduler", is_flag=True, help="Also run the scheduled jobs (as `advisor scheduler run`).")
@handles_errors
def serve(host: str | None, port: int | None, workers: int | None, bootstrap: bool, with_scheduler: bool) -> None:
    """Serve the API and the web page with a production WSGI server (gunicorn)."""
    import sys

    from api.server import run

    run(host=host, port=port, workers=workers, bootstrap=bootstrap, with_scheduler=with_scheduler,
        progress=ProgressBar(sys.stderr.isatty()))
