"""`python -m advisor.workloads.serverless_training.evaluate SPEC_JSON CHECKPOINT_DIR RUN`: the held-out loss (and
AUC) of worker 0's checkpoint of RUN, one JSON line. The service runs it in a process of its own, away from
TensorFlow."""

from __future__ import annotations

import json
import sys

from advisor.workloads import WorkloadSpec
from advisor.workloads.serverless_training.worker import FileCheckpoints
from advisor.workloads.training_tasks import evaluate


def main() -> None:
    spec = WorkloadSpec.from_dict(json.loads(sys.argv[1]))
    saved = FileCheckpoints(sys.argv[2]).load(sys.argv[3], 0)
    print(json.dumps(evaluate(spec, saved[1]) if saved else {"error": "no checkpoint"}))


if __name__ == "__main__":
    main()
