"""The local backend's trial worker: one process that is one Lambda sandbox or one instance.

Protocol on stdin/stdout, one JSON object a line. The worker first prints {"ready", "init_ms", "rss_mb"}; then
for each {"id", "payload"} it prints {"id", "wall_ms", "cpu_ms", "rss_mb", "error"}. With --threads > 1 requests
are served concurrently by that many threads, like a model server on an instance with that many vCPUs.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def _rss_mb() -> float:
    """This sandbox's peak resident memory, MB: /proc's VmHWM, which starts afresh at exec. (getrusage's
    ru_maxrss keeps the peak of the process before exec: a worker started by a large parent, a test run that loaded
    TensorFlow, would report the parent's memory as its own and be taken to run out of it.)"""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _model(path: str, threads: int):
    """A model's request handler: the reference recommender or a user's model (TensorFlow loads here, in the
    worker only, so its load is part of the cold start)."""
    from advisor.workloads import ncf, user_model
    from advisor.workloads.handler import predict

    tf = ncf._quiet_tensorflow()
    tf.config.threading.set_intra_op_parallelism_threads(1 if threads > 1 else 0)
    tf.config.threading.set_inter_op_parallelism_threads(max(1, threads))
    model = user_model.load(path)
    return lambda payload: predict(model, payload)


def _program(path: str):
    """A small program's request handler (advisor/workloads/programs.py): the payload is not used."""
    from advisor.workloads.programs import from_model_path

    run = from_model_path(path)
    return lambda payload: run()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model_path")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    start = time.perf_counter()
    handle = _program(args.model_path) if args.model_path.startswith("program:") else _model(args.model_path,
                                                                                              args.threads)
    out_lock = threading.Lock()

    def emit(obj: dict) -> None:
        with out_lock:
            sys.stdout.write(json.dumps(obj) + "\n")
            sys.stdout.flush()

    emit({"ready": True, "init_ms": (time.perf_counter() - start) * 1000.0, "rss_mb": _rss_mb()})

    def serve(request: dict) -> None:
        wall0, cpu0 = time.perf_counter(), time.process_time()
        error = None
        try:
            handle(request["payload"])
        except Exception as exc:  # reported to the profiler as a failed invocation, never fatal
            error = f"{type(exc).__name__}: {exc}"
        emit({"id": request["id"], "wall_ms": (time.perf_counter() - wall0) * 1000.0,
              "cpu_ms": (time.process_time() - cpu0) * 1000.0, "rss_mb": _rss_mb(), "error": error})

    with ThreadPoolExecutor(max_workers=max(1, args.threads)) as pool:
        for line in sys.stdin:
            if not line.strip():
                continue
            request = json.loads(line)
            if args.threads == 1:
                serve(request)
            else:
                pool.submit(serve, request)


if __name__ == "__main__":
    main()
