"""The gradient channels against real servers: S3 and DynamoDB on moto's server (which enforces DynamoDB's item
limit), Memcached on a real memcached. Values larger than an item are split and joined; usage is counted."""

import os

import pytest
from botocore.exceptions import ClientError

from advisor.core import aws as aws_api
from advisor.workloads.serverless_training.channels.dynamodb import DynamoDBChannel
from advisor.workloads.serverless_training.channels.memcached import MemcachedChannel
from advisor.workloads.serverless_training.channels.s3 import S3Channel

GRADIENT = os.urandom(1_300_000)  # a 1.3 MB gradient: over DynamoDB's 400 KB and memcached's 1 MB items


@pytest.fixture()
def dynamodb(aws):  # noqa: F811
    client = aws_api.client("dynamodb")
    client.create_table(TableName="grads", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
    return client


@pytest.fixture()
def s3(aws):  # noqa: F811
    client = aws_api.client("s3")
    client.create_bucket(Bucket="grads")
    return client


@pytest.fixture()
def memcache(memcached_server):  # noqa: F811
    from pymemcache.client.base import PooledClient

    client = PooledClient(memcached_server, connect_timeout=2, timeout=5, max_pool_size=8)  # thread-safe
    client.flush_all()
    return client


def test_dynamodb_enforces_its_item_limit_and_the_channel_stays_under_it(dynamodb):
    with pytest.raises(ClientError) as err:  # the server refuses one item over 400 KB
        dynamodb.put_item(TableName="grads", Item={"k": {"S": "too-big"}, "v": {"B": b"x" * 420_000}})
    assert "size" in str(err.value).lower()
    channel = DynamoDBChannel("grads", dynamodb)
    channel.put("run1/step3/worker0", GRADIENT)
    assert channel.get("run1/step3/worker0") == GRADIENT
    usage = channel.usage.snapshot()
    assert usage["puts"] == 4  # 1.3 MB in parts of at most 380 KB
    assert usage["write_units"] >= 1_300_000 // 1024
    assert channel.get("missing") is None
    import time

    item = dynamodb.get_item(TableName="grads", Key={"k": {"S": "run1/step3/worker0"}})["Item"]
    expires = int(item["expires_at"]["N"])  # for the table's TTL: DynamoDB deletes it by itself, at no charge
    assert time.time() + 86_000 < expires <= time.time() + 86_400


def test_s3_round_trip_and_requests_counted(s3):
    channel = S3Channel("grads", "run1", s3)
    channel.put("step1/w0", GRADIENT)
    assert channel.get("step1/w0") == GRADIENT
    assert channel.usage.snapshot()["puts"] == 1 and channel.get("step1/nothing") is None


def test_s3_clears_a_finished_runs_objects_and_no_other(s3):
    ours, theirs = S3Channel("grads", "runs", s3), S3Channel("grads", "runs", s3)
    for step in range(3):
        ours.put(f"run-a/step{step}/w0", b"x" * 10)
    theirs.put("run-b/step0/w0", b"y")
    assert ours.clear("run-a") == 3
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="grads")["Contents"]] == ["runs/run-b/step0/w0"]
    assert ours.clear("run-a") == 0


def test_memcached_refuses_a_full_mebibyte_and_the_channel_splits(memcache, memcached_server):  # noqa: F811
    from pymemcache.client.base import Client
    from pymemcache.exceptions import MemcacheServerError

    with pytest.raises(MemcacheServerError):  # the server's default -I 1m: an item of exactly 1 MiB is too large
        Client(memcached_server, timeout=5).set("raw", b"x" * (1024 * 1024), noreply=False)
    channel = MemcachedChannel(memcache)
    channel.put("run1/step1/w0", GRADIENT)
    assert channel.get("run1/step1/w0") == GRADIENT
    assert channel.usage.snapshot()["puts"] == 2


@pytest.mark.parametrize("parallel", [1, 4])
def test_many_segments_in_parallel(memcache, dynamodb, parallel):
    segments = {f"run1/step2/seg{k}": os.urandom(50_000 + k) for k in range(12)}
    for channel in (MemcachedChannel(memcache), DynamoDBChannel("grads", dynamodb)):
        channel.put_many(segments, parallel=parallel)
        assert channel.get_many(list(segments), parallel=parallel) == segments


def test_a_value_whose_later_parts_are_not_written_yet_reads_as_absent(memcache):
    from advisor.workloads.serverless_training.channels.base import split

    channel = MemcachedChannel(memcache)
    first = split(GRADIENT, channel.item_limit_bytes)[0]
    memcache.set("half", first)  # a writer that has written only its first part
    assert channel.get("half") is None


def test_the_first_part_is_written_last_so_a_poll_that_misses_costs_one_request(memcache, dynamodb):
    for channel in (MemcachedChannel(memcache), DynamoDBChannel("grads", dynamodb, batched=False)):
        written = []
        store = channel._put_item
        channel._put_item = lambda key, data, store=store: (written.append(key), store(key, data))
        channel.put("run2/step0/agg", GRADIENT)
        assert written[-1] == "run2/step0/agg" and len(written) > 1  # the part holding the count comes last
        before = channel.usage.snapshot()
        assert channel.get("run2/step1/agg") is None
        after = channel.usage.snapshot()
        assert after["gets"] - before["gets"] == 1 and after["misses"] - before["misses"] == 1


def test_parallel_requests_reuse_one_set_of_threads():
    import threading

    from advisor.workloads.serverless_training.channels.base import ChunkedChannel

    class Recording(ChunkedChannel):
        item_limit_bytes = 1000

        def __init__(self):
            super().__init__()
            self.items, self.threads = {}, set()

        def _put_item(self, key, data):
            self.threads.add(threading.current_thread().name)  # a new pool, new names
            self.items[key] = data

        def _get_item(self, key):
            self.threads.add(threading.current_thread().name)  # a new pool, new names
            return self.items.get(key)

    channel = Recording()
    for step in range(20):
        channel.put_many({f"s{step}/{j}": bytes([j]) * 2500 for j in range(4)}, parallel=4)
        assert channel.get_many([f"s{step}/{j}" for j in range(4)], parallel=4)[f"s{step}/3"] == bytes([3]) * 2500
    # 160 requests a batch at a time: the threads of one pool, not a new pool for each batch
    assert 1 <= len(channel.threads) <= 4
    channel.put_many({"wide/0": b"x"}, parallel=8)  # more at once than the pool has: a wider one replaces it
    assert channel.get_many(["wide/0", "absent"], parallel=8) == {"wide/0": b"x", "absent": None}


@pytest.fixture()
def emptying_proxy(aws):  # noqa: F811
    """A loopback HTTP proxy in front of moto's server that sends the first N successful GETs' headers with an
    empty body, as moto's server did once in a benchmark (an object's body read while another request hashed it):
    the client sees a body that fails the checksum S3 sent with it. Yields (url, how many to empty: a list to set)."""
    import http.client
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import urlsplit

    upstream = urlsplit(aws)
    to_empty = [0]

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
            conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=10)
            conn.request(self.command, self.path, body=body, headers=dict(self.headers))
            resp = conn.getresponse()
            data = resp.read()
            if self.command == "GET" and resp.status == 200 and to_empty[0] > 0:
                to_empty[0] -= 1
                data = b""
            self.send_response(resp.status)
            for name, value in resp.getheaders():
                if name.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            conn.close()

        do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = _forward

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", to_empty
    server.shutdown()


def test_s3_reads_again_a_body_that_fails_its_checksum(s3, emptying_proxy):
    from botocore.exceptions import FlexibleChecksumError

    from advisor.workloads.serverless_training.channels import s3 as s3_channel

    url, to_empty = emptying_proxy
    S3Channel("grads", "run3", s3).put("step0/agg", GRADIENT)
    reader = S3Channel("grads", "run3", aws_api.client("s3", endpoint_url=url))
    to_empty[0] = 1
    assert reader.get("step0/agg") == GRADIENT  # the emptied body failed its checksum and was read again
    assert reader.usage.snapshot()["gets"] == 2 and to_empty[0] == 0
    to_empty[0] = s3_channel.READ_ATTEMPTS  # a body corrupt every time is an error, not an absent value
    with pytest.raises(FlexibleChecksumError):
        reader.get("step0/agg")
