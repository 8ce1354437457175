"""The web page: workloads and their profiles, and per workload a chart of cost against latency."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from advisor import service

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/static")


@bp.get("/")
def index() -> Any:
    return render_template("index.html", workloads=service.list_workloads())


@bp.get("/ui/workloads/<workload_id>")
def workload_page(workload_id: str) -> Any:
    workload = service.get_workload(workload_id)
    return render_template("workload.html", workload=workload)
