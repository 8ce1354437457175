"""Training slices on SageMaker: a training job of K steps on the instance type and count of a config, bounded
by MaxRuntimeInSeconds. The step time comes from the job's metrics (the training script prints `step_ms=<ms>`,
matched by a metric definition); the billable seconds are recorded, as AWS bills them. A job still running when
the trial is interrupted is stopped in a `finally`; a job that fails or runs past its limit makes the config
infeasible with the reason.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from advisor.core.aws import client, translated
from advisor.core.domain import Config, Measurement, Profile
from advisor.core.errors import TrialFailed

STEP_METRIC = {"Name": "step_ms", "Regex": r"step_ms=([0-9.]+)"}
FINISHED = ("Completed", "Failed", "Stopped")


class TrainingSlices:
    method = "aws:sagemaker-training"

    def __init__(self, workload: str, role_arn: str, image_uri: str, output_s3: str, control: Any = None,
                 watcher: Any = None, poll_s: float = 30, wait_timeout_s: float = 7200) -> None:
        self.workload, self.role_arn, self.image_uri, self.output_s3 = workload, role_arn, image_uri, output_s3
        self.control = control or client("sagemaker")
        self.watcher = watcher or self.control
        self.poll_s, self.wait_timeout_s = poll_s, wait_timeout_s
        self.run_id = "trial-" + uuid.uuid4().hex[:10]
        self._running: str | None = None

    def __enter__(self) -> "TrainingSlices":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._running:  # interrupted mid-job: stop paying for it
            with translated("sagemaker", "StopTrainingJob"):
                self.control.stop_training_job(TrainingJobName=self._running)
            self._running = None

    def slice(self, config: Config, steps: int, max_runtime_s: int = 1800) -> Profile:
        name = f"advisor-{self.run_id}-{config.instance_type.replace('.', '-')}-x{config.instance_count}"[:63]
        with translated("sagemaker", "CreateTrainingJob"):
            self.control.create_training_job(
                TrainingJobName=name, RoleArn=self.role_arn, HyperParameters={"steps": str(steps)},
                AlgorithmSpecification={"TrainingImage": self.image_uri, "TrainingInputMode": "File",
                                        "MetricDefinitions": [STEP_METRIC]},
                OutputDataConfig={"S3OutputPath": self.output_s3},
                ResourceConfig={"InstanceType": config.instance_type, "InstanceCount": config.instance_count,
                                "VolumeSizeInGB": 10},
                StoppingCondition={"MaxRuntimeInSeconds": max_runtime_s},
                Tags=[{"Key": "advisor:trial", "Value": self.run_id}, {"Key": "advisor:workload", "Value": self.workload}])
        self._running = name
        deadline = time.monotonic() + self.wait_timeout_s
        while True:
            with translated("sagemaker", "DescribeTrainingJob"):
                job = self.watcher.describe_training_job(TrainingJobName=name)
            if job["TrainingJobStatus"] in FINISHED:
                break
            if time.monotonic() > deadline:
                raise TrialFailed(f"training job {name} still {job['TrainingJobStatus']} after "
                                  f"{self.wait_timeout_s:.0f} s", hint="it is stopped now; raise the wait or use fewer steps")
            time.sleep(self.poll_s)
        self._running = None
        billable = float(job.get("BillableTimeInSeconds") or 0.0)
        summary: dict[str, Any] = {"billable_s": billable, "training_s": float(job.get("TrainingTimeInSeconds") or 0.0),
                                   "steps": float(steps), "max_runtime_s": float(max_runtime_s)}
        metrics = {m["MetricName"]: float(m["Value"]) for m in job.get("FinalMetricDataList", [])}
        if job["TrainingJobStatus"] != "Completed":
            reason = job.get("FailureReason") or job["TrainingJobStatus"].lower()
            if job["TrainingJobStatus"] == "Stopped" or "MaxRuntimeInSeconds" in reason:
                reason = f"ran past MaxRuntimeInSeconds={max_runtime_s}: {reason}"
            return Profile(self.workload, config, self.method, summary, (Measurement(billable * 1000.0, failed=True),),
                           feasible=False, note=reason)
        if "step_ms" in metrics:
            summary["step_ms"] = metrics["step_ms"]
            summary["duration_ms"] = metrics["step_ms"] * steps  # the slice's compute, without start-up
        return Profile(self.workload, config, self.method, summary,
                       (Measurement(summary.get("training_s", 0.0) * 1000.0, billed_duration_ms=billable * 1000.0),),
                       note="" if "step_ms" in metrics else "the job reported no step_ms metric")
