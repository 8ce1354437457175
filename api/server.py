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


def check_bind(host: str, token: str | None) -> None:
    if not is_loopback(host) and not token:
        raise BadInput(f"refusing to listen on {host} without an API token",
                       hint="set ADVISOR_API_TOKEN to a secret, or bind to 127.0.0.1", fields={"host": "not loopback"})


def bootstrap_store(progress: Any) -> None:
    """On an empty store, profile the reference workload on the small local grid so /recommend answers at once."""
    from advisor import service

    if service.store().profiles(REFERENCE_WORKLOAD):
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
    logging.basicConfig(level=settings.get("LOG_LEVEL"))
    from advisor import service

    service.store()  # create or migrate the schema before workers fork
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
            if with_scheduler:  # in the master, once: the workers are forked and re-forked without it
                self.cfg.set("when_ready", lambda _server: _start_scheduler())

        def load(self) -> Any:
            return create_app()

    if with_scheduler:
        print("The scheduler runs in this server's master process (one of any number of schedulers leads).",
              file=sys.stderr)
    print(f"Serving on http://{host}:{port}/ (API: http://{host}:{port}/openapi.json)", file=sys.stderr)
    Server().run()


def _start_scheduler() -> None:
    from advisor.scheduler import SchedulerProcess

    SchedulerProcess().start_in_background()
