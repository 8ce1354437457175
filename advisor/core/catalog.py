"""Candidate configurations and the resources behind them.

Instance specs are the public EC2 figures for the same instance family and size (SageMaker's `ml.` types run on
them). Prices are not here: they live in the dated tables of `advisor.core.prices`.
"""

from __future__ import annotations

from dataclasses import dataclass

from advisor.core.errors import NotFound

LAMBDA_MIN_MB = 128
LAMBDA_MAX_MB = 10_240
LAMBDA_MB_PER_VCPU = 1769  # primary: 1,769 MB is one vCPU
LAMBDA_MAX_VCPU = 6.0
LAMBDA_TIMEOUT_S = 900
LAMBDA_DEFAULT_CONCURRENCY = 1000
LAMBDA_PAYLOAD_SYNC_BYTES = 6 * 1024 * 1024
LAMBDA_ZIP_UNZIPPED_BYTES = 250 * 1000 * 1000  # a .zip package with its layers, unzipped (secondary)
CONTAINER_IMAGE_BYTES = 10 * 1000**3  # Lambda and Serverless Inference container images (secondary)
SAGEMAKER_PAYLOAD_BYTES = 6 * 1024 * 1024  # a real-time endpoint's request (secondary)
# The default grid: Power Tuning's usual sizes plus the one-vCPU and whole-vCPU points.
LAMBDA_DEFAULT_GRID_MB = (128, 256, 512, 768, 1024, 1536, 1769, 2048, 2560, 3008, 3538, 4096, 5120, 5307, 6144,
                          7076, 8192, 8845, 10240)

SERVERLESS_MEMORY_MB = (1024, 2048, 3072, 4096, 5120, 6144)
SERVERLESS_MAX_CONCURRENCY = 200
SERVERLESS_PAYLOAD_BYTES = 4 * 1024 * 1024
SAGEMAKER_REQUEST_TIMEOUT_S = 60
SAGEMAKER_MAX_INSTANCE_COUNT = 50  # a search bound, not an AWS limit (instance counts are account quotas)


@dataclass(frozen=True)
class InstanceType:
    name: str  # without the "ml." prefix
    vcpus: int
    memory_gib: float
    gpu: str | None = None
    gpu_count: int = 0
    accelerator: str | None = None  # Inferentia and the like: not a CUDA GPU
    architecture: str = "x86_64"
    # Burstable types sustain only this fraction of each vCPU (EC2's published baseline); None: not burstable.
    baseline_cpu: float | None = None

    @property
    def sagemaker_name(self) -> str:
        return "ml." + self.name

    @property
    def has_accelerator(self) -> bool:
        return bool(self.gpu or self.accelerator)


def _sizes(family: str, rows: list[tuple[str, int, float]], **extra) -> list[InstanceType]:
    return [InstanceType(f"{family}.{size}", vcpus, gib, baseline_cpu=_BASELINE.get(f"{family}.{size}"), **extra)
            for size, vcpus, gib in rows]


_GENERAL = [("large", 2, 8), ("xlarge", 4, 16), ("2xlarge", 8, 32), ("4xlarge", 16, 64), ("12xlarge", 48, 192),
            ("24xlarge", 96, 384)]
_COMPUTE = [("large", 2, 4), ("xlarge", 4, 8), ("2xlarge", 8, 16), ("4xlarge", 16, 32)]
_MEMORY = [("large", 2, 16), ("xlarge", 4, 32), ("2xlarge", 8, 64), ("4xlarge", 16, 128)]
_BURST = [("medium", 2, 4), ("large", 2, 8), ("xlarge", 4, 16), ("2xlarge", 8, 32)]
# EC2's published baseline CPU per vCPU of the burstable families (a sustained endpoint lives on it).
_BASELINE = {"t2.medium": 0.20, "t2.large": 0.30, "t2.xlarge": 0.225, "t2.2xlarge": 0.17,
             "t3.medium": 0.20, "t3.large": 0.30, "t3.xlarge": 0.40, "t3.2xlarge": 0.40}

INSTANCE_TYPES: dict[str, InstanceType] = {t.name: t for t in [
    *_sizes("t2", _BURST), *_sizes("t3", _BURST),
    *_sizes("m5", _GENERAL), *_sizes("m6i", _GENERAL), *_sizes("m7i", _GENERAL),
    *_sizes("c5", _COMPUTE + [("9xlarge", 36, 72), ("18xlarge", 72, 144)]),
    *_sizes("c6i", _COMPUTE + [("8xlarge", 32, 64), ("16xlarge", 64, 128)]),
    *_sizes("c7i", _COMPUTE + [("8xlarge", 32, 64), ("16xlarge", 64, 128)]),
    *_sizes("c7g", [("large", 2, 4), ("xlarge", 4, 8), ("2xlarge", 8, 16)], architecture="arm64"),
    *_sizes("c6g", _COMPUTE, architecture="arm64"),
    *_sizes("m6g", _GENERAL[:4], architecture="arm64"),
    *_sizes("r5", _MEMORY), *_sizes("r6i", _MEMORY), *_sizes("r7i", _MEMORY),
    *_sizes("r6g", _MEMORY, architecture="arm64"),
    *_sizes("g4dn", [("xlarge", 4, 16), ("2xlarge", 8, 32), ("4xlarge", 16, 64)], gpu="NVIDIA T4", gpu_count=1),
    InstanceType("g4dn.12xlarge", 48, 192, gpu="NVIDIA T4", gpu_count=4),
    *_sizes("g5", [("xlarge", 4, 16), ("2xlarge", 8, 32), ("4xlarge", 16, 64)], gpu="NVIDIA A10G", gpu_count=1),
    InstanceType("g5.12xlarge", 48, 192, gpu="NVIDIA A10G", gpu_count=4),
    *_sizes("g6", [("xlarge", 4, 16), ("2xlarge", 8, 32), ("4xlarge", 16, 64)], gpu="NVIDIA L4", gpu_count=1),
    InstanceType("g6.12xlarge", 48, 192, gpu="NVIDIA L4", gpu_count=4),
    *_sizes("g6e", [("xlarge", 4, 32), ("2xlarge", 8, 64), ("4xlarge", 16, 128)], gpu="NVIDIA L40S", gpu_count=1),
    InstanceType("inf1.xlarge", 4, 8, accelerator="AWS Inferentia"),
    InstanceType("inf1.2xlarge", 8, 16, accelerator="AWS Inferentia"),
    InstanceType("inf1.6xlarge", 24, 48, accelerator="AWS Inferentia x4"),
    InstanceType("inf2.xlarge", 4, 16, accelerator="AWS Inferentia2"),
    InstanceType("inf2.8xlarge", 32, 128, accelerator="AWS Inferentia2"),
    InstanceType("inf2.24xlarge", 96, 384, accelerator="AWS Inferentia2 x6"),
    InstanceType("p3.2xlarge", 8, 61, gpu="NVIDIA V100", gpu_count=1),
    InstanceType("p3.8xlarge", 32, 244, gpu="NVIDIA V100", gpu_count=4),
    InstanceType("p3.16xlarge", 64, 488, gpu="NVIDIA V100", gpu_count=8),
    InstanceType("p4d.24xlarge", 96, 1152, gpu="NVIDIA A100", gpu_count=8),
    InstanceType("p5.48xlarge", 192, 2048, gpu="NVIDIA H100", gpu_count=8),
]}


def instance_type(name: str) -> InstanceType:
    """Look an instance type up by its SageMaker (`ml.c5.large`) or EC2 (`c5.large`) name."""
    key = name.removeprefix("ml.")
    try:
        return INSTANCE_TYPES[key]
    except KeyError:
        close = [f"ml.{n}" for n in INSTANCE_TYPES if n.split(".")[0] == key.split(".")[0]][:6]
        raise NotFound(f"unknown instance type {name!r}",
                       hint=("known sizes of that family: " + ", ".join(close)) if close
                       else "see `advisor prices show` for the known types",
                       fields={"instance_type": "unknown"}) from None


def lambda_vcpus(memory_mb: float) -> float:
    """Lambda's CPU share: in proportion to memory, 1 vCPU at 1,769 MB, at most 6."""
    return min(memory_mb / LAMBDA_MB_PER_VCPU, LAMBDA_MAX_VCPU)
