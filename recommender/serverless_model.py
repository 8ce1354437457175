"""An analytical model of the gradient exchange in serverless training (scatter-reduce through a channel).

W workers, gradient G bytes (halved by float16), S segments, A = min(W, S) aggregators, p requests in flight per
worker, a channel item limit L (each value costs ceil(size / L) requests), per-request latency l and one client's
bandwidth of puts Bp(c) and of gets Bg(c) while c clients move bytes at once. One worker's critical path (our
reconstruction, after AWS-FACTS.md):
    write its S segments          F/E + ceil(S*k / p) * l + G / Bp(W)
    aggregate S/A segments        ceil(W*S*k / (A*p)) * l + W*G / (A*Bg(A)) + W*F / (A*D) + F / (A*E)
                                  then write them: ceil(S*k/(A*p))*l + G/(A*Bp(A))
    read all S aggregates         ceil(S*k / p) * l + G / Bg(W) + F / D
(k parts per segment; F the float32 gradient's bytes, E and D the speeds at which the worker's CPU encodes it for
the wire and decodes and sums it, measured for each encoding). Workers waiting for a value poll for it; each
read that misses is a request (`polls_within`).
A channel served by one process (a node, or a test server) also serialises the requests of all workers: in each
phase a worker's requests take at least the queue of every client's requests of that phase at the server's time per
request (c * n * t, with c clients making n each), and the whole exchange at least total requests (misses included)
* t + total bytes / the server's bandwidth. The exchange takes the longer of the critical path and that bound;
the server keeps working through the exchange's waits (the polls that miss are made in them), so the bound holds
for the critical path and the waits together.
l, Bp, Bg and the server's time are calibrated by a short probe of the channel from inside the worker's CPU share,
not assumed: Bp(1) and Bg(1) by one client, Bp(c) and Bg(c) by as many clients as the slice had workers at once
(`channel_probe.py`), linear in c between and beyond them; where a slice's workers also exchanged naively, Bp(1),
Bg(1), Bp(W) and Bg(W) come from its phases instead (`fit_bandwidths`). An iteration adds the compute of the
slowest worker and the polling pauses at the exchange's waits (`iteration`); a run adds re-invocations
(`run_seconds`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

CODECS = ("none", "float16", "sparse")  # the wire encodings of advisor/workloads/serverless_training/sync.py


@dataclass(frozen=True)
class ChannelParams:
    request_s: float  # latency of one small request, one client
    bytes_per_s: float  # bandwidth of one client for large values
    item_limit_bytes: int
    client_cpu_s: float = 0.0  # the part of request_s that is the client's own CPU work: it does not overlap
    server_s: float | None = None  # the store's own time per small request (None: request_s - client_cpu_s)
    server_bytes_per_s: float | None = None  # the store's own bandwidth, without the client's encoding (None: B)
    # per wire encoding, (encode, decode-and-sum) speed on the worker's CPU, in bytes of float32 gradient per second
    codecs: dict[str, tuple[float, float]] = field(default_factory=dict)
    put_bytes_per_s: float | None = None  # one client's bandwidth of puts alone, and of gets (None: bytes_per_s)
    get_bytes_per_s: float | None = None
    # (clients, each one's put bandwidth, get bandwidth) with that many clients at once (a store that does not scale
    # with its clients slows each of them down): measured, None where only one client was probed
    contended: tuple[int, float, float] | None = None

    def codec(self, compress: str) -> tuple[float, float]:
        return self.codecs.get(compress, (math.inf, math.inf))

    def seconds_per_byte(self, direction: str, clients: int = 1) -> float:
        """One client's time per byte of a large put or get ("put" or "get") while CLIENTS clients do the same:
        alone as probed, and each further client adding what the contended probe measured per client (a store
        that serves its clients from one process queues them), extrapolated linearly beyond it."""
        alone = 1 / ((self.put_bytes_per_s if direction == "put" else self.get_bytes_per_s) or self.bytes_per_s)
        if self.contended is None or clients <= 1 or self.contended[0] <= 1:
            return alone
        probed, put_bytes_per_s, get_bytes_per_s = self.contended
        loaded = 1 / (put_bytes_per_s if direction == "put" else get_bytes_per_s)
        return alone + max(0.0, loaded - alone) * (clients - 1) / (probed - 1)

    @property
    def server_request_s(self) -> float:
        return self.server_s if self.server_s is not None else max(0.0, self.request_s - self.client_cpu_s)

    @property
    def server_bandwidth(self) -> float:
        """The store's own bytes per second: as probed, else one client's bandwidth."""
        return self.server_bytes_per_s or self.bytes_per_s

    def to_dict(self) -> dict[str, float]:
        data = {"request_ms": self.request_s * 1000, "mb_per_s": self.bytes_per_s / 1e6,
                "item_limit_kb": self.item_limit_bytes / 1024, "client_cpu_ms": self.client_cpu_s * 1000}
        for compress, (enc, dec) in self.codecs.items():
            data[f"encode_mb_per_s_{compress}"], data[f"decode_mb_per_s_{compress}"] = enc / 1e6, dec / 1e6
        if self.server_s is not None:
            data["server_ms"] = self.server_s * 1000
        if self.server_bytes_per_s is not None:
            data["server_mb_per_s"] = self.server_bytes_per_s / 1e6
        for name, value in (("put_mb_per_s", self.put_bytes_per_s), ("get_mb_per_s", self.get_bytes_per_s)):
            if value is not None:
                data[name] = value / 1e6
        if self.contended is not None:
            data["contended_clients"] = float(self.contended[0])
            data["contended_put_mb_per_s"], data["contended_get_mb_per_s"] = (v / 1e6 for v in self.contended[1:])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, float]) -> "ChannelParams":
        """The parameters as to_dict wrote them; the in-run figures a slice's naive exchange gave (`run_` keys,
        `fit_bandwidths`) take the place of the probe's put and get bandwidths where a slice measured them."""
        if "run_put_mb_per_s" in data:
            data = dict(data, **{k[len("run_"):]: v for k, v in data.items() if k.startswith("run_")})
        server_ms = data.get("server_ms")
        legacy = 2 * data.get("reduce_mb_per_s", math.inf)  # older probes timed one round trip for every encoding
        codecs = {c: (data.get(f"encode_mb_per_s_{c}", legacy) * 1e6, data.get(f"decode_mb_per_s_{c}", legacy) * 1e6)
                  for c in CODECS if f"encode_mb_per_s_{c}" in data or "reduce_mb_per_s" in data}

        def rate(key: str) -> float | None:  # bytes per second; None for probes older than the key
            return data[key] * 1e6 if key in data else None

        contended = None if "contended_clients" not in data else (
            int(data["contended_clients"]), data["contended_put_mb_per_s"] * 1e6, data["contended_get_mb_per_s"] * 1e6)
        return cls(data["request_ms"] / 1000, data["mb_per_s"] * 1e6, int(round(data["item_limit_kb"] * 1024)),
                   data.get("client_cpu_ms", 0.0) / 1000, None if server_ms is None else server_ms / 1000,
                   rate("server_mb_per_s"), codecs, rate("put_mb_per_s"), rate("get_mb_per_s"), contended)


# The model's terms of an exchange, each timed in a run as these phases of sync.scatter_reduce (an owner's).
TERM_PHASES = {"write": ("write",), "aggregate": ("owner_wait", "aggregate"), "publish": ("publish",),
               "read": ("read_wait", "decode")}
NAIVE_TERMS = {"write": ("put", "clients"), "aggregate": ("get", 1), "publish": ("put", 1), "read": ("get", "clients")}


def fit_bandwidths(params: ChannelParams, workers: int, gradient_bytes: int, measured_s: dict[str, float],
                   shared_server: bool = True) -> dict[str, float]:
    """The put and get bandwidths, alone and with WORKERS clients at once, that make the model's terms of a naive
    exchange (one segment, one aggregator, one request at a time, float32) equal MEASURED_S, the same terms timed
    in a slice of training (seconds, the skew taken off the aggregate). A naive exchange moves each of its four
    terms' bytes in one way only: its write puts with every worker at once, its aggregate gets alone, its publish
    puts alone, its read gets with every worker at once; so each term gives one bandwidth. A probe times requests
    apart from a run, and the run's workers moved theirs at another pace (README); these are the run's own.
    SHARED_SERVER as in `exchange`: a store served by one process queues each phase's requests, and what the
    queue takes is not a bandwidth's. Returns them as to_dict's `run_` keys; a term no slower than its requests and
    CPU work gives none."""
    def terms(seconds_per_byte: float) -> dict[str, float]:
        rate = 1 / seconds_per_byte if seconds_per_byte > 0 else math.inf
        at = ChannelParams(params.request_s, rate, params.item_limit_bytes, params.client_cpu_s, params.server_s,
                           params.server_bytes_per_s, params.codecs, rate, rate, (workers, rate, rate))
        return dict(exchange(at, workers, gradient_bytes, segments=1, shared_server=shared_server).terms)

    fixed, per_byte = terms(0.0), terms(1.0)  # the terms are linear in each bandwidth's seconds per byte
    rates = {}
    for term, (direction, clients) in NAIVE_TERMS.items():
        moved = per_byte[term] - fixed[term]  # bytes the term moves
        if measured_s.get(term, 0.0) > fixed[term] and moved > 0:
            rates[(direction, clients)] = moved / (measured_s[term] - fixed[term])
    if len(rates) < len(NAIVE_TERMS):
        return {}
    return {"run_put_mb_per_s": rates[("put", 1)] / 1e6, "run_get_mb_per_s": rates[("get", 1)] / 1e6,
            "run_contended_clients": float(workers), "run_contended_put_mb_per_s": rates[("put", "clients")] / 1e6,
            "run_contended_get_mb_per_s": rates[("get", "clients")] / 1e6}


@dataclass(frozen=True)
class Exchange:
    seconds: float
    requests: int
    bytes_moved: int
    bound: str  # "critical path" or "shared channel"
    puts: int = 0
    gets: int = 0
    item_bytes: int = 0  # size of one stored part, for stores priced by item size
    misses: int = 0  # polls that found nothing (in gets): one small request each
    poll_wait_s: float = 0.0  # the time between a value's arrival and the poll that finds it, at both waits
    terms: tuple[tuple[str, float], ...] = ()  # the critical path's parts, seconds: what a run's phases are checked by
    early_s: float = 0.0  # the part of the aggregate term an owner can spend while the slowest worker is still late
    serial_s: float = 0.0  # the store's own time for every request and byte of the exchange (one process serving)

    @property
    def critical_s(self) -> float:
        """The critical path alone: one worker's terms, without the one server's queue."""
        return sum(seconds for _, seconds in self.terms)

    def waits_s(self, skew_s: float) -> float:
        """The waits beyond the terms: the slowest worker's lag SKEW_S less what an owner spends meanwhile reading
        the copies that came first, and the polling overshoot at both waits."""
        return skew_s - min(skew_s, self.early_s) + self.poll_wait_s


@dataclass(frozen=True)
class Sparsity:
    """The fraction of one worker's gradient entries that are non-zero, and of the union of several workers'
    (what the aggregate holds) as a slice measured it for a few worker counts. Workers share rows of an embedding
    and all of a dense layer, so the union is smaller than independent entries would make it; beyond the largest
    count measured below W, the union grows as if groups of that count were independent."""

    density: float = 1.0
    unions: tuple[tuple[int, float], ...] = ()  # (workers, density of their union)

    def union(self, workers: int) -> float:
        base_workers, base = max([(1, self.density)] + [(w, u) for w, u in self.unions if w <= workers])
        return base if workers == base_workers else min(1.0, 1.0 - (1.0 - base) ** (workers / base_workers))


def wire_bytes(gradient_bytes: int, compress: str, density: float | Sparsity, workers: int) -> tuple[float, float]:
    """(bytes one worker sends, bytes of the aggregate): float16 halves them; sparse sends an index and a float32
    value per non-zero entry, and the aggregate holds the union of the workers' non-zeros."""
    sparsity = density if isinstance(density, Sparsity) else Sparsity(density)
    if compress == "float16":
        return gradient_bytes / 2, gradient_bytes / 2
    if compress == "sparse":
        return 2 * gradient_bytes * sparsity.density, 2 * gradient_bytes * sparsity.union(workers)
    return float(gradient_bytes), float(gradient_bytes)


def polls_within(wait_s: float, poll_s: float, request_s: float = 0.0) -> int:
    """Reads a waiting worker makes in WAIT_S: one at once, then one after each pause, the pauses doubling from
    POLL_S up to MAX_POLL_FACTOR x POLL_S (advisor/workloads/serverless_training/sync.py); each read itself takes
    REQUEST_S, which on a slow store spaces them further apart. Each one that finds nothing is a paid request."""
    from advisor.workloads.serverless_training.sync import MAX_POLL_FACTOR

    if wait_s <= 0 or poll_s <= 0:
        return 0
    polls, elapsed, pause = 0, 0.0, poll_s
    while elapsed < wait_s:
        polls += 1
        elapsed += request_s + pause
        pause = min(2 * pause, MAX_POLL_FACTOR * poll_s)
    return polls


def poll_overshoot(wait_s: float, poll_s: float, request_s: float = 0.0, waiters: int = 1) -> float:
    """How long after a value arrives, WAIT_S into a wait, the next read of it starts, on average, for the last of
    WAITERS workers that poll for it on their own: WAITERS / (WAITERS + 1) of the read and pause in effect then
    (half of it for one; the pauses double from POLL_S, as polls_within counts them)."""
    from advisor.workloads.serverless_training.sync import MAX_POLL_FACTOR

    if poll_s <= 0 or wait_s <= 0:  # no wait: the first read finds the value
        return 0.0
    elapsed, pause = 0.0, poll_s
    while elapsed + request_s + pause < wait_s:
        elapsed += request_s + pause
        pause = min(2 * pause, MAX_POLL_FACTOR * poll_s)
    return (request_s + pause) * waiters / (waiters + 1)


def exchange(params: ChannelParams, workers: int, gradient_bytes: int, segments: int | None = None,
             parallel: int = 1, compress: str = "none", shared_server: bool = True, density: float | Sparsity = 1.0,
             skew_s: float = 0.0, poll_s: float = 0.0) -> Exchange:
    """Predicted time, requests and bytes of one scatter-reduce. With POLL_S, the reads that miss are counted:
    each owner polls for the slowest worker's segment over SKEW_S (how far that worker lags), and the workers
    that own no segment poll for the aggregates while the owners aggregate and publish."""
    g, g_agg = wire_bytes(gradient_bytes, compress, density, workers)
    s = segments or workers
    a = min(workers, s)
    k = max(1, math.ceil((g / s) / params.item_limit_bytes))  # requests per segment value
    k_agg = max(1, math.ceil((g_agg / s) / params.item_limit_bytes))
    enc, dec = params.codec(compress)
    dense = float(gradient_bytes)  # encoding and decoding work on the float32 arrays

    def requests_s(n: int, clients: int = 1) -> float:
        """N requests of one client while CLIENTS make as many at once: its own CPU work is serial and its waits
        overlap PARALLEL at a time; a store served by one process queues every client's requests of the phase."""
        own = n * params.client_cpu_s + math.ceil(n / parallel) * (params.request_s - params.client_cpu_s)
        return max(own, clients * n * params.server_request_s) if shared_server else own

    per_byte = params.seconds_per_byte  # each phase's, with as many clients as move bytes in it at once
    write_own = dense / enc + requests_s(s * k, workers) + g * per_byte("put", workers)
    copies = requests_s(workers * s * k // a, a) + workers * g / a * per_byte("get", a)  # the owner's reads
    aggregate = copies + workers * dense / (a * dec) + dense / (a * enc)
    # an owner waiting for the slowest worker reads each other copy as it arrives (sync.wait_all keeps what it finds)
    early = copies * (workers - 1) / workers
    publish = requests_s(math.ceil(s * k_agg / a), a) + g_agg / a * per_byte("put", a)
    read_all = requests_s(s * k_agg, workers) + g_agg * per_byte("get", workers) + dense / dec
    critical = write_own + aggregate + publish + read_all
    owner_poll_s, reader_poll_s = requests_s(1), requests_s(s)  # one read of a segment; one of every aggregate
    misses = (a * math.ceil(s / a) * polls_within(skew_s, poll_s, owner_poll_s)
              + (workers - a) * s * polls_within(aggregate + publish, poll_s, reader_poll_s))
    puts = workers * s * k + s * k_agg  # every worker's segments, then the aggregates
    gets = workers * s * k + workers * s * k_agg + misses  # owners read every copy, everyone every aggregate
    requests = puts + gets
    moved = int(2 * workers * g + g_agg + workers * g_agg)
    item = int(min(params.item_limit_bytes, math.ceil(g / s / k)))
    serial = requests * params.server_request_s + moved / params.server_bandwidth if shared_server else 0.0
    # the owners other than the slowest worker each poll for its segment, and the aggregates wait for the last of
    # them to find it (at 4 owners, 3/4 of a poll interval after it arrives, not half); then the readers poll
    poll_wait = (poll_overshoot(skew_s, poll_s, owner_poll_s, max(1, a - 1))
                 + poll_overshoot(aggregate + publish, poll_s, reader_poll_s))
    terms = (("write", write_own), ("aggregate", aggregate), ("publish", publish), ("read", read_all))
    bound = "shared channel" if serial > critical else "critical path"
    return Exchange(max(critical, serial), requests, moved, bound, puts, gets, item, misses, poll_wait, terms, early,
                    serial)


def expected_max_normal(n: int) -> float:
    """E[max of N standard normals], Blom's approximation: how far the slowest of N workers lags the mean."""
    from statistics import NormalDist

    return 0.0 if n <= 1 else NormalDist().inv_cdf((n - 0.375) / (n + 0.25))


@dataclass(frozen=True)
class Iteration:
    """One synchronous step of W workers: the slowest worker's compute, then the exchange and its polling."""

    seconds: float
    compute_s: float
    exchange_s: float
    wait_s: float
    exchange: Exchange

    def to_dict(self) -> dict[str, float | str]:
        return {"seconds": self.seconds, "compute_s": self.compute_s, "exchange_s": self.exchange_s,
                "wait_s": self.wait_s, "requests": self.exchange.requests, "bytes_moved": self.exchange.bytes_moved,
                "bound": self.exchange.bound}


def iteration(compute_s: float, compute_sd_s: float, params: ChannelParams, workers: int, gradient_bytes: int,
              segments: int | None = None, parallel: int = 1, compress: str = "none", poll_s: float = 0.005,
              shared_server: bool = True, density: float | Sparsity = 1.0, prepare_s: float = 0.0) -> Iteration:
    """compute (a slice's step at the worker's CPU share, local.step_estimate) + exchange + the wait for the slowest
    worker: the expected maximum of W compute times, plus the polling overshoot at each of the exchange's two waits (the
    owners' for the slowest worker, the others' for the aggregates). PREPARE_S is the part of compute that
    overlap hides: the next batch's preparation, started once the worker's own writes are out (sync.scatter_reduce's
    WRITTEN), so hidden for at most the rest of the exchange and its waits."""
    skew = compute_sd_s * expected_max_normal(workers)
    ex = exchange(params, workers, gradient_bytes, segments, parallel, compress, shared_server, density, skew, poll_s)
    if workers <= 1:
        return Iteration(compute_s, compute_s, 0.0, 0.0, ex)
    wait = ex.waits_s(skew)
    # a store serving every worker from one process works through the exchange's waits too (the polls that miss are
    # made in them): its queue bounds the critical path and the waits together, not the path alone
    wait = max(ex.critical_s + wait, ex.serial_s) - ex.seconds
    compute_s -= min(prepare_s, max(0.0, ex.seconds - dict(ex.terms)["write"]) + wait)
    return Iteration(compute_s + ex.seconds + wait, compute_s, ex.seconds, wait, ex)


def tune(compute_s: float, compute_sd_s: float, params: ChannelParams, workers: int, gradient_bytes: int,
         options: Any, shared_server: bool = True, density: float | Sparsity = 1.0,
         compressions: tuple[str, ...] | None = None, prepare_s: float = 0.0) -> tuple[Any, Iteration]:
    """OPTIONS (a SyncOptions) with the number of segments, and the wire encoding among COMPRESSIONS (default:
    its own), that the model predicts fastest on this channel, and that prediction. Few segments mean few
    requests (what a store with a high cost per request, or one serving every worker from one process, wants);
    more spread the aggregation and the bytes over the workers and over parallel requests (what a store that
    scales with its clients wants). A sparse encoding wins when few entries are non-zero."""
    from dataclasses import replace

    best = None
    for compress in compressions or (options.compress,):
        for segments in sorted({1, max(1, workers // 2), workers, 2 * workers, 4 * workers}):
            step = iteration(compute_s, compute_sd_s, params, workers, gradient_bytes, segments, options.parallel,
                             compress, options.poll_s, shared_server, density,
                             prepare_s if options.overlap else 0.0)
            if best is None or step.seconds < best[1].seconds:
                best = (replace(options, segments=segments, compress=compress), step)
    return best


def iterations_per_epoch(samples: int, workers: int, batch: int) -> int:
    """Data parallel: each iteration consumes one local batch on every worker."""
    return max(1, math.ceil(samples / (workers * batch)))


def run_seconds(iteration_s: float, iterations: int, restart_s: float, budget_s: float = 840.0) -> tuple[float, int]:
    """Wall time of ITERATIONS and the invocations per worker: a worker re-invokes itself every BUDGET_S and
    pays RESTART_S (reload, checkpoint) each time."""
    work = iteration_s * iterations
    invocations = max(1, math.ceil(work / budget_s))
    return work + (invocations - 1) * restart_s, invocations
