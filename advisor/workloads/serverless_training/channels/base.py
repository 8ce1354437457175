"""The channel interface: a key-value store the workers exchange gradient segments through.

A value larger than the store's item limit is split into parts written under derived keys, so callers never
see the limit; the usage (requests, bytes, capacity units) is counted for the cost model.
"""

from __future__ import annotations

import math
import struct
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

_HEADER = struct.Struct(">I")  # number of parts, stored in the first part


@dataclass
class Usage:
    """What a channel was asked to do, in the units its price is quoted in."""

    puts: int = 0
    gets: int = 0
    lists: int = 0
    misses: int = 0  # gets that found nothing yet (polling): counted in gets too, priced like them
    bytes_written: int = 0
    bytes_read: int = 0
    write_units: int = 0  # DynamoDB: 1 KB each
    read_units: int = 0  # DynamoDB: 4 KB each, strongly consistent
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return {k: getattr(self, k) for k in ("puts", "gets", "lists", "misses", "bytes_written", "bytes_read",
                                                  "write_units", "read_units")}


class Channel(Protocol):
    name: str
    item_limit_bytes: int
    usage: Usage

    def put(self, key: str, value: bytes) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def put_many(self, items: dict[str, bytes], parallel: int = 1) -> None: ...

    def get_many(self, keys: list[str], parallel: int = 1) -> dict[str, bytes | None]: ...


def split(value: bytes, part_bytes: int) -> list[bytes]:
    """VALUE as parts of at most PART_BYTES; the first part starts with the number of parts."""
    body = part_bytes - _HEADER.size
    count = max(1, math.ceil((len(value) + _HEADER.size) / part_bytes))
    joined = _HEADER.pack(count) + value
    return [joined[k * part_bytes:(k + 1) * part_bytes] for k in range(count)] if body > 0 else []


def part_count(first: bytes) -> int:
    return _HEADER.unpack(first[:_HEADER.size])[0]


def join(parts: list[bytes]) -> bytes:
    return b"".join(parts)[_HEADER.size:]


def part_key(key: str, index: int) -> str:
    return key if index == 0 else f"{key}#part{index}"


class ChunkedChannel:
    """A channel over single-item put/get primitives: splitting, joining and parallel I/O, once for all stores."""

    name = "abstract"
    item_limit_bytes = 0

    def __init__(self) -> None:
        self.usage = Usage()
        self._threads: ThreadPoolExecutor | None = None  # for parallel requests, kept for the channel's life
        self._thread_count = 0

    # Subclasses implement these two, each one request to the store.
    def _put_item(self, key: str, data: bytes) -> None:
        raise NotImplementedError

    def _get_item(self, key: str) -> bytes | None:
        raise NotImplementedError

    def clear(self, run: str) -> int:
        """Remove what RUN left in the store, once it has ended; how many items. A store that expires items by
        itself (Memcached; DynamoDB with TTL on) needs nothing done."""
        return 0

    def put(self, key: str, value: bytes) -> None:
        """The later parts first and the first part (which holds the count) last: a reader that finds the first
        part finds them all, so a poll that misses costs exactly one request."""
        parts = split(value, self.item_limit_bytes)
        for index in list(range(1, len(parts))) + [0]:
            self._put_item(part_key(key, index), parts[index])

    def get(self, key: str) -> bytes | None:
        first = self._get_item(key)
        if first is None:
            self.usage.add(misses=1)
            return None
        parts = [first] + [self._get_item(part_key(key, k)) for k in range(1, part_count(first))]
        if any(p is None for p in parts):
            return None  # a writer that does not write the first part last: not there yet
        return join(parts)  # type: ignore[arg-type]

    def put_many(self, items: dict[str, bytes], parallel: int = 1) -> None:
        if parallel <= 1:
            for key, value in items.items():
                self.put(key, value)
            return
        list(self._pool(parallel).map(lambda kv: self.put(*kv), items.items()))

    def get_many(self, keys: list[str], parallel: int = 1) -> dict[str, bytes | None]:
        if parallel <= 1:
            return {k: self.get(k) for k in keys}
        return dict(zip(keys, self._pool(parallel).map(self.get, keys)))

    def _pool(self, parallel: int) -> ThreadPoolExecutor:
        """Threads for PARALLEL requests at once, started once: a pool started and joined for every batch cost a
        0.35-vCPU worker about 1 ms of CPU a call (timed on 4 memcached puts; 3 ms of its time at that share),
        several times a step, polls included."""
        if self._threads is None or self._thread_count < parallel:
            if self._threads is not None:
                self._threads.shutdown(wait=True)
            self._threads, self._thread_count = ThreadPoolExecutor(max_workers=parallel), parallel
        return self._threads
