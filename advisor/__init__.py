"""The cost-aware deployment advisor: the cheapest way to serve or train a TensorFlow model on AWS within an SLA."""

__version__ = "0.1.0"
