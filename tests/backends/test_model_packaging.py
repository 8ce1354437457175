"""A user's model made ready for a SageMaker TensorFlow endpoint: the region's TF Serving image from the SageMaker
Python SDK (offline), the model.tar.gz TF Serving loads (a numbered version directory), uploaded once per content
to moto's S3, and a whole endpoint trial of the user's model on moto's server."""

import io
import tarfile

import pytest

from advisor import service
from advisor.backends.aws import model_packaging
from advisor.core import aws as aws_api
from advisor.core.domain import Config
from tests.support.user_models import needs_tf

pytest.importorskip("sagemaker.core")


def _members(archive):
    with tarfile.open(archive) as t:
        return set(t.getnames())


def test_the_serving_image_is_the_regions_tf_serving_image_not_newer_than_tensorflow_here():
    from packaging.version import Version

    image = model_packaging.serving_image("eu-west-1", "ml.c5.large")
    registry, _, tag = image.partition("/")
    assert registry.endswith(".dkr.ecr.eu-west-1.amazonaws.com") and tag.startswith("tensorflow-inference:")
    version, _, flavour = tag.split(":")[1].partition("-")
    assert flavour.startswith("cpu")  # a CPU instance gets the CPU image
    local = model_packaging.local_tensorflow_version()
    if local:
        assert Version(version) <= Version(local)


def test_a_savedmodel_is_archived_as_version_1_and_uploaded_once(aws, tiny_model, tmp_path):  # noqa: F811
    s3 = aws_api.client("s3")
    s3.create_bucket(Bucket="models")
    archive = model_packaging.tf_serving_archive(tiny_model / "saved_model", tmp_path)
    assert {"1", "1/saved_model.pb", "1/variables"} <= _members(archive)
    first = model_packaging.upload(archive, "s3://models/advisor", "ab" * 32)
    again = model_packaging.upload(archive, "s3://models/advisor", "ab" * 32)
    assert first == again == "s3://models/advisor/" + "ab" * 12 + "/model.tar.gz"
    assert len(s3.list_objects_v2(Bucket="models")["Contents"]) == 1


@needs_tf
@pytest.mark.tf
def test_a_keras_file_is_exported_and_profiled_on_an_endpoint(aws, data_dir, tiny_model, monkeypatch):  # noqa: F811
    s3 = aws_api.client("s3")
    s3.create_bucket(Bucket="models")
    role = aws_api.client("iam").create_role(RoleName="sm", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    monkeypatch.setenv("ADVISOR_AWS_ROLE_ARN", role)
    monkeypatch.setenv("ADVISOR_AWS_MODEL_BUCKET", "s3://models/advisor")
    service.add_model("mine", tiny_model / "model.keras", (tiny_model / "sample.json").read_bytes())
    done = service.profile({"workload": "mine", "backend": "aws", "invocations": 5,
                            "configs": [Config("sagemaker-realtime", instance_type="ml.c5.large").to_dict()]})
    assert [p["method"] for p in done["profiles"]] == ["aws:sagemaker"]
    key = s3.list_objects_v2(Bucket="models")["Contents"][0]["Key"]
    body = s3.get_object(Bucket="models", Key=key)["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body)) as t:
        assert "1/saved_model.pb" in t.getnames()
    assert aws_api.client("sagemaker").list_endpoints()["Endpoints"] == []  # the trial cleaned up
