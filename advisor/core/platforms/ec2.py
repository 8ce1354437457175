"""A self-managed cluster of EC2 VMs (Spark, Hadoop and the like): recommended from measurements only, never
profiled here or deployed. Its instance types may be outside the catalog: the measurements then give their vCPUs,
memory and hourly price."""

from __future__ import annotations

from advisor.core.domain import Config
from advisor.core.platforms.shapes import InstanceSized


class EC2(InstanceSized):
    name = "ec2"
    local_profiler = None
    example = "ec2:c5.xlarge:4"

    def candidates(self) -> list[Config]:
        return []  # a cluster's candidates are the configs its measurements hold

    def validate(self, config: Config) -> None:
        """Any type: the measurements describe the ones the catalog lacks."""

    def processor(self, config: Config) -> str:
        return "cpu"

    def price_key(self, config: Config, prices: object = None) -> str:
        return f"ec2.{config.instance_type}"


PLATFORM = EC2()
