"""A user's model made ready for a SageMaker TensorFlow endpoint: the TensorFlow Serving container of the region
(looked up with the SageMaker Python SDK), and the model as that container loads it, a `model.tar.gz` holding a
numbered version directory with the SavedModel (`1/saved_model.pb`, `1/variables/`), uploaded to S3 under its
content's digest so a second trial uploads nothing.

The SDK (`sagemaker-core`, in the aws extra) is imported here only: `advisor --help` never loads it.
"""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
from pathlib import Path

from advisor.core.aws import client, translated
from advisor.core.errors import BadInput, TrialFailed

# The TF Serving images' CPU image serves Serverless Inference too (it has no instance type to look up by).
SERVERLESS_LOOKUP_TYPE = "ml.c5.large"
_EXPORT = ("import sys, keras; keras.models.load_model(sys.argv[1], compile=False, safe_mode=True)"
           ".export(sys.argv[2], verbose=False)")


def _sdk() -> tuple[object, object]:
    try:
        from sagemaker.core import common_utils, image_uris
    except ImportError as exc:
        raise BadInput("SageMaker trials of your own model need the SageMaker Python SDK",
                       hint="install the aws extra: pip install -e '.[aws]'", fields={"backend": "sdk missing"}) from exc
    return image_uris, common_utils


def local_tensorflow_version() -> str | None:
    for dist in ("tensorflow-cpu", "tensorflow"):
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def serving_image(region: str, instance_type: str | None = None) -> str:
    """The region's TensorFlow Serving image for the newest version the SDK knows that is not newer than the
    TensorFlow here (a model saved by 2.21 is served by 2.20 when 2.21 has no image)."""
    from packaging.version import Version

    image_uris, _ = _sdk()
    known = image_uris.config_for_framework("tensorflow")["inference"].get("version_aliases", {})
    local = local_tensorflow_version()
    versions = sorted(known, key=Version)
    usable = [v for v in versions if local is None or Version(v) <= Version(local)] or versions
    try:
        return image_uris.retrieve("tensorflow", region=region, version=usable[-1], image_scope="inference",
                                   instance_type=instance_type or SERVERLESS_LOOKUP_TYPE)
    except ValueError as exc:
        raise BadInput(f"no TensorFlow Serving image for {instance_type or 'Serverless Inference'} in {region}: {exc}",
                       hint="set ADVISOR_AWS_SAGEMAKER_IMAGE to the serving image to use",
                       fields={"AWS_SAGEMAKER_IMAGE": "not found"}) from None


def tf_serving_archive(model_path: Path, workdir: Path) -> Path:
    """WORKDIR/model.tar.gz with MODEL_PATH as TF Serving's version 1: a SavedModel directory is copied, a .keras
    file is exported to one (in a process of its own, with TensorFlow)."""
    _, common_utils = _sdk()
    version_dir = workdir / "1"
    if model_path.is_dir():
        shutil.copytree(model_path, version_dir)
    else:
        done = subprocess.run([sys.executable, "-c", _EXPORT, str(model_path), str(version_dir)], capture_output=True,
                              text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
        if done.returncode != 0 or not (version_dir / "saved_model.pb").is_file():
            raise TrialFailed("could not export the model as a SavedModel for TF Serving",
                              hint=done.stderr.strip()[-600:] or "check the model loads with keras.models.load_model")
    return Path(common_utils.create_tar_file([str(version_dir)], str(workdir / "model.tar.gz")))


def upload(archive: Path, destination: str, digest: str) -> str:
    """ARCHIVE at DESTINATION (s3://bucket/prefix) under DIGEST; the s3:// URI. An archive already there (same
    digest, same content) is not sent again."""
    from botocore.exceptions import ClientError

    if not destination.startswith("s3://") or not destination[5:].strip("/"):
        raise BadInput(f"{destination!r} is not an s3:// location", hint="e.g. s3://my-bucket/advisor-models",
                       fields={"AWS_MODEL_BUCKET": "not s3"})
    bucket, _, prefix = destination[5:].partition("/")
    key = "/".join(p for p in (prefix.strip("/"), digest[:24], "model.tar.gz") if p)
    s3 = client("s3")
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return f"s3://{bucket}/{key}"
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            with translated("s3", "GetObject"):  # HeadObject is granted by s3:GetObject
                raise
    with translated("s3", "PutObject"):
        s3.upload_file(str(archive), bucket, key)
    return f"s3://{bucket}/{key}"
