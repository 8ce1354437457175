"""Decide: the performance model, the search over candidates, and what to profile next. No Flask, no boto3."""
