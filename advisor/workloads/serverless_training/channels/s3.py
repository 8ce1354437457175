"""S3 as a channel: one object per part (5 GB per PUT, so gradients are rarely split); priced per request."""

from __future__ import annotations

from typing import Any

from advisor.workloads.serverless_training.channels.base import ChunkedChannel

S3_PUT_LIMIT_BYTES = 5 * 1024**3
# A body that fails its checksum (botocore checks the one S3 sends) was corrupted on its way: it is read again, this
# many times in all. moto's server can send an empty body for an object another request is still hashing (its
# FakeKey.etag reads the shared buffer without the key's lock); on AWS, a transfer error.
READ_ATTEMPTS = 3


class S3Channel(ChunkedChannel):
    name = "s3"

    def __init__(self, bucket: str, prefix: str, client: Any, item_limit_bytes: int = S3_PUT_LIMIT_BYTES) -> None:
        super().__init__()
        self.bucket, self.prefix, self.client = bucket, prefix.rstrip("/"), client
        self.item_limit_bytes = item_limit_bytes

    def clear(self, run: str) -> int:
        """Delete RUN's objects (every step's segments and aggregates) in batches of 1,000: S3 keeps them, and
        bills their storage, until they are deleted."""
        deleted = 0
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                          Prefix=f"{self.prefix}/{run}/"):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            for start in range(0, len(keys), 1000):
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys[start:start + 1000],
                                                                       "Quiet": True})
            deleted += len(keys)
        return deleted

    def _put_item(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=f"{self.prefix}/{key}", Body=data)
        self.usage.add(puts=1, bytes_written=len(data))

    def _get_item(self, key: str) -> bytes | None:
        from botocore.exceptions import FlexibleChecksumError

        attempt = 1
        while True:
            try:
                return self._read_item(key)
            except FlexibleChecksumError:
                self.usage.add(gets=1)  # a request made and paid for, its body thrown away
                if attempt == READ_ATTEMPTS:
                    raise
                attempt += 1

    def _read_item(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            data = self.client.get_object(Bucket=self.bucket, Key=f"{self.prefix}/{key}")["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                self.usage.add(gets=1)
                return None
            raise
        self.usage.add(gets=1, bytes_read=len(data))
        return data
