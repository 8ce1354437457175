"""Channels for exchanging gradients: one module per store behind the interface in `base`."""

from advisor.workloads.serverless_training.channels.base import Channel, ChunkedChannel, Usage

__all__ = ["Channel", "ChunkedChannel", "Usage"]
