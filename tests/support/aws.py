"""An AWS-compatible HTTP server on loopback (moto's server mode), one per test session, reset between tests.

Code under test reaches it through boto3 with an endpoint URL, exactly as it would reach AWS. What the server
cannot do (run Lambda code without Docker, hence REPORT lines) is stood in for by botocore's Stubber, and each
such test says which AWS behaviour it stands for.
"""

from __future__ import annotations

import urllib.request

import pytest


@pytest.fixture(scope="session")
def aws_server():
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture()
def aws(aws_server, monkeypatch):
    """The server's URL, with a clean state and fake credentials for this test."""
    urllib.request.urlopen(urllib.request.Request(aws_server + "/moto-api/reset", method="POST"), timeout=10).read()
    monkeypatch.setenv("ADVISOR_AWS_ENDPOINT_URL", aws_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return aws_server
