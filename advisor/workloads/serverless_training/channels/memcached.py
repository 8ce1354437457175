"""Memcached (ElastiCache) as a channel: an item is at most the server's `-I` (1 MiB by default, and an item of
exactly 1 MiB already fails), so values are split below it. Priced by node-hours, not requests. For parallel
segment I/O give it a thread-safe client (pymemcache's PooledClient)."""

from __future__ import annotations

from typing import Any

from advisor.workloads.serverless_training.channels.base import ChunkedChannel

DEFAULT_ITEM_LIMIT = 1024 * 1024
HEADROOM = 1024  # memcached stores the key and its own header in the same slab item


class MemcachedChannel(ChunkedChannel):
    name = "memcached"

    def __init__(self, client: Any, item_limit_bytes: int = DEFAULT_ITEM_LIMIT, expire_s: int = 3600) -> None:
        super().__init__()
        self.client, self.expire_s = client, expire_s
        self.item_limit_bytes = item_limit_bytes - HEADROOM

    def _put_item(self, key: str, data: bytes) -> None:
        if not self.client.set(key, data, expire=self.expire_s, noreply=False):
            raise RuntimeError(f"memcached refused {len(data)} bytes under {key!r}")
        self.usage.add(puts=1, bytes_written=len(data))

    def _get_item(self, key: str) -> bytes | None:
        data = self.client.get(key)
        self.usage.add(gets=1, bytes_read=len(data or b""))
        return data
