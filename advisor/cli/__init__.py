"""`advisor`: the command line, thin over advisor.service. Heavy imports happen inside commands."""

from __future__ import annotations

import json
import math
import sys
import time
from functools import wraps
from typing import Any, Callable

import click

from advisor.core.errors import AdvisorError


def _emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def handles_errors(fn: Callable) -> Callable:
    """Print an AdvisorError as message and hint (or as the JSON error shape), exit 2 or 1, never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AdvisorError as exc:
            if kwargs.get("as_json"):
                _emit_json(exc.to_dict())
            else:
                click.secho(f"error: {exc.message}", fg="red", err=True)
                if exc.hint:
                    click.echo(f"hint: {exc.hint}", err=True)
                from advisor.cli.render import duration

                for item in exc.extra.get("closest", []):
                    click.echo(f"  closest: {item['key']:<40} reaches {duration(item['reaches_ms'])}", err=True)
                if not exc.extra.get("closest"):
                    for item in exc.extra.get("reasons", []):
                        click.echo(f"  {item['configs']} configs (e.g. {item['example']}): {item['reason']}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:  # the reader went away (`advisor workloads | head -1`): stop quietly, as cat does
            import os

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # the interpreter's last flush then has nowhere to fail
            sys.exit(141)
        except Exception as exc:  # a bug: say so in one line; the traceback only when asked for
            import os

            if os.environ.get("ADVISOR_LOG_LEVEL", "").upper() == "DEBUG":
                raise
            click.secho(f"error: internal error: {type(exc).__name__}: {exc}", fg="red", err=True)
            click.echo("hint: this is a bug; run again with ADVISOR_LOG_LEVEL=DEBUG for the traceback", err=True)
            sys.exit(1)

    return wrapper


class ProgressBar:
    """A one-line progress bar on stderr with the current config and an ETA (only on a terminal)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.started = time.monotonic()

    def __call__(self, fraction: float, message: str) -> None:
        if not self.enabled:
            return
        width = 24
        filled = int(width * max(0.0, min(1.0, fraction)))
        elapsed = time.monotonic() - self.started
        eta = elapsed * (1 - fraction) / fraction if fraction > 0.01 else math.nan
        eta_text = f"ETA {int(eta) // 60}:{int(eta) % 60:02d}" if math.isfinite(eta) else "ETA --:--"
        line = f"\r[{'#' * filled}{'.' * (width - filled)}] {fraction:4.0%} {eta_text}  {message[:70]:<70}"
        click.echo(line, nl=fraction >= 1.0, err=True)


json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cost-aware-advisor")
def main() -> None:
    """The cost-aware deployment advisor: the cheapest way to serve a TensorFlow model on AWS within an SLA.

    Settings come from ADVISOR_* environment variables; see the README's settings table.
    """
    from advisor.service.state import State, activate, deactivate

    token = activate(State())  # this command's store and caches, for the database the settings name
    click.get_current_context().call_on_close(lambda: deactivate(token))


# The commands register themselves on `main` when their modules load.
from advisor.cli import cloud, compare, measure, scheduling, serving, training, workloads  # noqa: E402,F401
