"""`advisor serve`: the API under gunicorn, bound to loopback unless a token protects it."""

from __future__ import annotations

import ipaddress
import logging
import socket
import sys
from typing import Any

from advisor.core import settings
from advisor.core.errors import BadInput

REFERENCE_WORKLOAD = "ncf-recommender"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        try:
            return all(ipaddress.ip_address(info[4][0]).is_loopback for info in socket.getaddrinfo(host, None))
        except (OSError, ValueError):
            return False


def allowed_hosts(host: str, port: int) -> tuple[str, ...] | None:
    """The Host headers a loopback server answers (a DNS-rebinding page names another host); None: any."""
    if not is_loopback(host):
        return None
    return tuple(f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]", host)) + ("127.0.0.1", "localhost")


def check_bind(host: str, token: str | None) -> None:
    if not is_loopback(host) and not token:
        raise BadInput(f"refusing to listen on {host} without an API token",
                       hint="set ADVISOR_API_TOKEN to a secret, or bind to 127.0.0.1", fields={"host": "not loopback"})


def check_port_free(host: str, port: int) -> None:
    """Refuse a port another process listens on, before any work (gunicorn would retry, then exit)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise BadInput(f"cannot listen on {host}:{port}: {exc.strerror}", hint="another server may be using "
                           "it: choose a free port with --port or ADVISOR_PORT", fields={"port": "taken"}) from None


def describe_store() -> str:
    """Which store this server uses and what it holds, said at start (two checkouts may share one)."""
    from advisor import service
    from advisor.core.settings import database_url

    workloads = service.list_workloads()
    profiled = sum(1 for w in workloads if w["profiles"])
    from sqlalchemy.engine import make_url

    shown = make_url(database_url()).render_as_string(hide_password=True)
    return (f"Store: {shown} ({len(workloads)} workloads, {profiled} with profiles, "
            f"{sum(w['profiles'] for w in workloads)} profiles); set ADVISOR_DATA_DIR for a store of its own.")


def bootstrap_store(progress: Any) -> None:
    """On an empty store, profile the reference workload on the small local grid so /recommend answers at once."""
    from advisor import service

    held = service.store().profiles(REFERENCE_WORKLOAD)
    if held:
        print(f"No first-start profiling: the store already holds {len(held)} profiles of {REFERENCE_WORKLOAD}.",
              file=sys.stderr)
        return
    print(f"First start: profiling {REFERENCE_WORKLOAD} on the local grid ({settings.get('BOOTSTRAP_GRID')}); "
          "this takes a minute or two.", file=sys.stderr)
    service.profile({"workload": REFERENCE_WORKLOAD}, progress)


def run(host: str | None = None, port: int | None = None, workers: int | None = None,
        bootstrap: bool = False, with_scheduler: bool = False, progress: Any = lambda f, m: None) -> None:
    """Serve under gunicorn; with BOOTSTRAP, first profile an empty store (reporting to PROGRESS)."""
    from gunicorn.app.base import BaseApplication

    from api import create_app

    host = host or settings.get("HOST")
    port = port if port is not None else settings.get("PORT")
    workers = workers or settings.get("WORKERS")
    check_bind(host, settings.get("API_TOKEN"))
    check_port_free(host, int(port))
    logging.basicConfig(level=settings.get("LOG_LEVEL"))
    from advisor import service

    service.store()  # create or migrate the schema before workers fork
    print(describe_store(), file=sys.stderr)
    if bootstrap:
        bootstrap_store(progress)

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", 4)
            self.cfg.set("accesslog", None)
            self.cfg.set("loglevel", str(settings.get("LOG_LEVEL")).lower())
            self.cfg.set("timeout", 120)
            self.cfg.set("control_socket_disable", True)  # a shared default socket: stopping one server broke others
            if with_scheduler:  # in the master, once: the workers are forked and re-forked without it
                self.cfg.set("when_ready", lambda _server: _start_scheduler())

        def load(self) -> Any:
            return create_app({"ALLOWED_HOSTS": allowed_hosts(host, int(port))})

    if with_scheduler:
        print("The scheduler runs in this server's master process (one of any number of schedulers leads).",
              file=sys.stderr)
    print(f"Serving on http://{host}:{port}/ (API: http://{host}:{port}/openapi.json)", file=sys.stderr)
    Server().run()


def _start_scheduler() -> None:
    from advisor.scheduler import SchedulerProcess

    SchedulerProcess().start_in_background()
