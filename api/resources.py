"""JSON endpoints. Each handler validates against its schema and calls one service function."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from advisor import service
from api import has_token, json_body, schemas

bp = Blueprint("resources", __name__)
# POSTs that compute and change nothing a user owns (the answer is kept only to be fetched again by id).
READ_ONLY_POSTS = {"resources.post_recommend"}


@bp.get("/healthz")
def healthz() -> Any:
    return jsonify({"status": "ok"})


@bp.post("/recommend")
def post_recommend() -> Any:
    body = schemas.validate(json_body(), schemas.RECOMMEND)
    return Response(service.recommend_json(body), mimetype="application/json")


@bp.get("/recommendations/<rec_id>")
def get_recommendation(rec_id: str) -> Any:
    return jsonify(service.get_recommendation(rec_id))


@bp.get("/workloads")
def list_workloads() -> Any:
    return jsonify({"workloads": service.list_workloads()})


@bp.post("/workloads")
def create_workload() -> Any:
    """JSON: a workload known by its measurements. multipart/form-data: a user's model (fields name, model,
    sample, and optional description, batch_size, lambda_package), checked and stored like `advisor workloads add`."""
    from flask import current_app, request

    if request.mimetype != "multipart/form-data":
        return jsonify(service.create_workload(schemas.validate(json_body(), schemas.WORKLOAD))), 201
    if not current_app.config.get("API_TOKEN"):
        from advisor.core.errors import PermissionDenied

        raise PermissionDenied("adding a model over HTTP needs the server to have an API token: loading a model "
                               "runs it on this server", hint="set ADVISOR_API_TOKEN on the server, or use `advisor "
                               "workloads add` on its machine", fields={"model": "token required"})
    form = schemas.validate(request.form.to_dict(), schemas.MODEL_UPLOAD)
    model = request.files.get("model")
    if model is None or not model.filename:
        from advisor.core.errors import BadInput

        raise BadInput("the form has no model file", hint="send the model as the file field 'model'",
                       fields={"model": "required"})
    sample = request.files["sample"].read() if "sample" in request.files else form.get("sample")
    if not sample:
        from advisor.core.errors import BadInput

        raise BadInput("the form has no sample request", hint="send one request as the field 'sample' (a file or "
                       'text such as {"instances": [[1.0, 2.0]]})', fields={"sample": "required"})
    done = service.add_model_upload(form.get("name", ""), model.filename, model.save, sample,
                                    description=form.get("description", ""), batch_size=form.get("batch_size"),
                                    lambda_package=form.get("lambda_package", "zip"))
    return jsonify(done), 200 if done["status"] == "unchanged" else 201


@bp.get("/workloads/<workload_id>")
def get_workload(workload_id: str) -> Any:
    return jsonify(service.get_workload(workload_id))


@bp.get("/workloads/<workload_id>/compare")
def compare_workload(workload_id: str) -> Any:
    """Each family's cheapest config over a range of traffic, and the crossovers (as `advisor compare`)."""
    from flask import request

    from advisor.core.errors import BadInput

    known = {"sla", "rps_range", "platform", "points_per_decade", "confidence", "traffic"}
    unknown = sorted(set(request.args) - known)
    if unknown:
        raise BadInput(f"unknown query parameter {unknown[0]!r}", hint="use " + ", ".join(sorted(known)),
                       fields={unknown[0]: "is not a parameter of this request"})
    body: dict[str, Any] = {"workload": workload_id, **request.args.to_dict()}
    return jsonify(service.compare(body))


@bp.delete("/workloads/<workload_id>")
def delete_workload(workload_id: str) -> Any:
    return jsonify(service.remove_workload(workload_id))


@bp.post("/profiles")
def post_profiles() -> Any:
    job = service.start_profile_job(schemas.validate(json_body(), schemas.PROFILE))
    return jsonify(job), 202, {"Location": f"/jobs/{job['id']}"}


@bp.post("/profiles/import")
def import_profiles() -> Any:
    """Measurements as the body (CSV v1, REPORT lines, Power Tuning or Inference Recommender JSON), or JSON
    {"csv": "..."}; ?format=, ?workload= and ?architecture= as for `advisor profiles import`."""
    from flask import request

    from advisor.core.errors import BadInput

    if request.mimetype == "application/json":
        data = json_body()  # a JSON body: {"csv": ...}, or a JSON format (Power Tuning, Inference Recommender)
        text = data.get("csv") if isinstance(data, dict) and "csv" in data else request.get_data(as_text=True)
        if not isinstance(text, str):
            raise BadInput("give the CSV as the field csv", hint='{"csv": "workload,platform,..."}',
                           fields={"csv": "required"})
    else:
        text = request.get_data(as_text=True)
    args = request.args
    done = service.import_profiles(text, "the request body", args.get("format", "auto"), args.get("workload"),
                                   args.get("architecture", "x86_64"))
    return jsonify(done), 200 if done["already_imported"] else 201


@bp.post("/deployments")
def post_deployment() -> Any:
    """A plan (changes nothing): {"recommendation", "function", "alias", "steps"}."""
    return jsonify(service.plan_deployment(schemas.validate(json_body(), schemas.DEPLOYMENT))), 201


@bp.get("/deployments/<deployment_id>")
def get_deployment(deployment_id: str) -> Any:
    return jsonify(service.get_deployment(deployment_id))


@bp.post("/deployments/<deployment_id>/apply")
def apply_deployment(deployment_id: str) -> Any:
    return jsonify(service.apply_plan(deployment_id))


@bp.post("/training-runs")
def post_training_run() -> Any:
    """Start a training run (the fields of `advisor train`) in the background; poll its record."""
    from advisor.service import training_runs

    run = training_runs.start_run_job(schemas.validate(json_body(), schemas.TRAINING_RUN))
    return jsonify(run), 202, {"Location": f"/training-runs/{run['id']}"}


@bp.get("/training-runs")
def list_training_runs() -> Any:
    from advisor.service import training_runs

    return jsonify({"runs": training_runs.list_runs()})


@bp.get("/training-runs/<run_id>")
def get_training_run(run_id: str) -> Any:
    from advisor.service import training_runs

    return jsonify(training_runs.get_run(run_id))


@bp.get("/jobs/<job_id>")
def get_job(job_id: str) -> Any:
    return jsonify(service.get_job(job_id))


HIDDEN = "(hidden: send the API token)"


@bp.get("/schedules")
def list_schedules() -> Any:
    """Every schedule; without the API token (when the server has one), webhook URLs are hidden: they are secrets."""
    from advisor.service import scheduling

    rows = scheduling.list_all()
    if not has_token():
        rows = [{**r, "webhook": HIDDEN if r.get("webhook") else None} for r in rows]
    return jsonify({"schedules": rows})


@bp.post("/schedules")
def post_schedule() -> Any:
    """Over HTTP a replay source is a file under ADVISOR_DATA_DIR/sources: a request may not read any path."""
    from pathlib import Path

    from advisor.core import settings
    from advisor.core.errors import BadInput
    from advisor.service import scheduling

    body = schemas.validate(json_body(), schemas.SCHEDULE)
    if body.get("source"):
        allowed = (Path(settings.get("DATA_DIR")) / "sources").resolve()
        if not (allowed / str(body["source"])).resolve().is_relative_to(allowed):
            raise BadInput("over the API, a schedule's source is a file under ADVISOR_DATA_DIR/sources",
                           hint="put the measurements file there and give its name", fields={"source": "outside"})
        body = {**body, "source": str(allowed / str(body["source"]))}
    created = scheduling.add(body)
    return jsonify(created), 201, {"Location": f"/schedules/{created['id']}"}


@bp.delete("/schedules/<schedule_id>")
def delete_schedule(schedule_id: str) -> Any:
    from advisor.service import scheduling

    return jsonify(scheduling.remove(schedule_id))


@bp.get("/schedules/<schedule_id>/runs")
def schedule_runs(schedule_id: str) -> Any:
    from advisor.service import scheduling

    runs = scheduling.runs(schedule_id)
    if not has_token():
        runs = [{**r, "error": HIDDEN if r.get("error") else None} for r in runs]
    return jsonify({"runs": runs})


@bp.get("/openapi.json")
def openapi() -> Any:
    from api.openapi import document

    return jsonify(document())
