"""`advisor compare`: each platform family's cheapest config over a range of traffic, and the crossovers."""

from __future__ import annotations

import math
from typing import Any

import click

from advisor.cli import _emit_json, handles_errors, json_option, main


@main.command()
@click.option("--workload", required=True, help="Workload id (see `advisor workloads`).")
@click.option("--sla", required=True, help="A latency SLA, e.g. 'p95<=250ms'.")
@click.option("--rps-range", default="0.1..5000", show_default=True, help="Traffic range LOW..HIGH in requests/s.")
@click.option("--platform", default=None, help="Comma-separated families to compare (default: every serving one).")
@click.option("--points-per-decade", type=int, default=12, show_default=True,
              help="Traffic levels per factor of ten (crossovers are then refined to 1%).")
@click.option("--confidence", type=float, default=None, help="Probability of meeting the SLA (default 0.9).")
@json_option
@handles_errors
def compare(workload: str, sla: str, rps_range: str, platform: str | None, points_per_decade: int,
            confidence: float | None, as_json: bool) -> None:
    """Where each platform family is the cheapest way to meet the SLA as traffic grows (the crossover)."""
    from advisor import service

    body: dict[str, Any] = {"workload": workload, "sla": sla, "rps_range": rps_range, "platform": platform,
                            "points_per_decade": points_per_decade, "confidence": confidence}
    result = service.compare({k: v for k, v in body.items() if v is not None})
    if as_json:
        _emit_json(result)
        return
    click.echo(render(result))


def render(r: dict[str, Any], rows_per_decade: int = 3) -> str:
    """The cheapest config and monthly cost of each family at a few levels a decade; the cheapest starred."""
    families = r["families"]
    width = max([20] + [len(f"{c['key']} ${c['usd_per_month']:,.2f}*") for row in r["levels"]
                        for c in row["families"].values() if c])
    out = [f"Cheapest config meeting {r['sla']} by traffic, {r['workload']} (monthly cost; * the cheapest; "
           f"{r['basis']['profiles']} profiles, prices {r['basis']['region']} as of {r['basis']['prices_as_of']})",
           f"{'RPS':>10}  " + "  ".join(f"{f:<{width}}" for f in families)]
    rows = r["levels"]
    step = max(1, round(len(rows) / (math.log10(r["rps_range"][1] / r["rps_range"][0]) * rows_per_decade + 1)))
    for row in rows[::step] + ([rows[-1]] if (len(rows) - 1) % step else []):
        cells = []
        for f in families:
            cell = row["families"].get(f)
            text = "-" if cell is None else (f"{cell['key']} ${cell['usd_per_month']:,.2f}"
                                               + ("*" if row["cheapest"] == f else ""))
            cells.append(f"{text[:width]:<{width}}")
        out.append(f"{row['rps']:>10.4g}  " + "  ".join(cells))
    for c in r["changes"]:
        lo, hi = c["rps_interval"]
        where = f"at {c['rps']:.4g} rps" if c["alternations"] == 1 else f"from {c['rps']:.4g} to {c['until_rps']:.4g} rps"
        out.append(f"crossover {where}: {c['from']} ({c['from_key']}) -> {c['to']} ({c['to_key']}); the cost "
                   f"intervals overlap from {lo:.4g} to {hi:.4g} rps")
    out.append(r["summary"])
    return "\n".join(out)
