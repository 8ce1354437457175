"""Profilers: measure a workload on a backend and return Profile records."""
