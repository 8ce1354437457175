"""DynamoDB as a channel. An item is at most 400 KB including attribute names, so values are split into parts
well under that; parts are written with BatchWriteItem (at most 25 items, 16 MB) and read with BatchGetItem (at
most 100 keys, 16 MB), retrying what DynamoDB returns unprocessed. On-demand pricing counts a write unit per KB
written and a read unit per 4 KB read (strongly consistent). Every item carries `expires_at` (a day on): with the
table's TTL set on that attribute, DynamoDB deletes a run's items by itself, at no charge, where DeleteItem would
cost as many write units as writing them did."""

from __future__ import annotations

import math
import time
from typing import Any

from advisor.workloads.serverless_training.channels.base import (ChunkedChannel, join, part_count, part_key,
                                                                 split)

ITEM_LIMIT_BYTES = 400 * 1024
EXPIRES_AFTER_S = 86_400
TTL_ATTRIBUTE = "expires_at"
TTL_BYTES = len(TTL_ATTRIBUTE) + 11  # the attribute's name and a 10-digit number, in the item's size


def _item(key: str, data: bytes) -> dict[str, Any]:
    return {"k": {"S": key}, "v": {"B": data}, TTL_ATTRIBUTE: {"N": str(int(time.time()) + EXPIRES_AFTER_S)}}
PART_BYTES = 380 * 1024  # room for the key and attribute names inside the 400 KB item
BATCH_WRITE_ITEMS, BATCH_GET_KEYS, BATCH_BYTES = 25, 100, 16 * 1024**2


def _units(size: int, unit: int) -> int:
    return max(1, math.ceil(size / unit))


class DynamoDBChannel(ChunkedChannel):
    name = "dynamodb"

    def __init__(self, table: str, client: Any, part_bytes: int = PART_BYTES, max_retries: int = 8,
                 batched: bool = True) -> None:
        super().__init__()
        self.table, self.client, self.item_limit_bytes, self.max_retries = table, client, part_bytes, max_retries
        self.batched = batched  # False: one request per part (the naive baseline)

    def _put_item(self, key: str, data: bytes) -> None:
        self.client.put_item(TableName=self.table, Item=_item(key, data))
        self.usage.add(puts=1, bytes_written=len(data), write_units=_units(len(data) + len(key) + 2 + TTL_BYTES, 1024))

    def _get_item(self, key: str) -> bytes | None:
        item = self.client.get_item(TableName=self.table, Key={"k": {"S": key}}, ConsistentRead=True).get("Item")
        data = item["v"]["B"] if item else None
        self.usage.add(gets=1, bytes_read=len(data or b""), read_units=_units(len(data or b""), 4096))
        return data

    def put(self, key: str, value: bytes) -> None:
        """All parts in batches of at most 25 items and 16 MB, unprocessed items retried with backoff; the first
        part in the last batch (a batch is not ordered inside, so a reader may still meet a value whose later parts
        are missing: get then answers None, as for any value not there yet)."""
        if not self.batched:
            return super().put(key, value)
        parts = split(value, self.item_limit_bytes)
        requests = [{"PutRequest": {"Item": _item(part_key(key, i), parts[i])}}
                    for i in list(range(1, len(parts))) + [0]]
        batch: list[dict] = []
        size = 0
        for request in requests:
            item_size = len(request["PutRequest"]["Item"]["v"]["B"])
            if batch and (len(batch) == BATCH_WRITE_ITEMS or size + item_size > BATCH_BYTES):
                self._write_batch(batch)
                batch, size = [], 0
            batch.append(request)
            size += item_size
        if batch:
            self._write_batch(batch)

    def _write_batch(self, batch: list[dict]) -> None:
        pending, delay = batch, 0.01
        for _ in range(self.max_retries + 1):
            response = self.client.batch_write_item(RequestItems={self.table: pending})
            done = len(pending) - len(response.get("UnprocessedItems", {}).get(self.table, []))
            for request in pending[:done]:
                item = request["PutRequest"]["Item"]
                size = len(item["v"]["B"])
                self.usage.add(puts=1, bytes_written=size,
                               write_units=_units(size + len(item["k"]["S"]) + 2 + TTL_BYTES, 1024))
            pending = response.get("UnprocessedItems", {}).get(self.table, [])
            if not pending:
                return
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        raise RuntimeError(f"DynamoDB left {len(pending)} items unprocessed after {self.max_retries} retries")

    def get(self, key: str) -> bytes | None:
        if not self.batched:
            return super().get(key)
        first = self._get_item(key)
        if first is None:
            self.usage.add(misses=1)
            return None
        count = part_count(first)
        if count == 1:
            return join([first])
        rest = self._batch_get([part_key(key, k) for k in range(1, count)])
        if any(rest.get(part_key(key, k)) is None for k in range(1, count)):
            return None
        return join([first] + [rest[part_key(key, k)] for k in range(1, count)])  # type: ignore[misc]

    def _batch_get(self, keys: list[str]) -> dict[str, bytes | None]:
        found: dict[str, bytes | None] = {k: None for k in keys}
        for start in range(0, len(keys), BATCH_GET_KEYS):
            pending = [{"k": {"S": k}} for k in keys[start:start + BATCH_GET_KEYS]]
            delay = 0.01
            for _ in range(self.max_retries + 1):
                response = self.client.batch_get_item(RequestItems={self.table: {"Keys": pending,
                                                                                 "ConsistentRead": True}})
                for item in response.get("Responses", {}).get(self.table, []):
                    data = item["v"]["B"]
                    found[item["k"]["S"]] = data
                    self.usage.add(gets=1, bytes_read=len(data), read_units=_units(len(data), 4096))
                pending = response.get("UnprocessedKeys", {}).get(self.table, {}).get("Keys", [])
                if not pending:
                    break
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        return found
