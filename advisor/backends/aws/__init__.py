"""Trials on real AWS: Lambda functions, SageMaker endpoints and training jobs, and their clean-up."""
