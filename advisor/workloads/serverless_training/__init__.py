"""Serverless training: data-parallel Lambda workers exchanging gradients through a storage channel."""
