"""Powertools logger, tracer and metrics, one of each per process.

Service name, metrics namespace and log level come from the standard ``POWERTOOLS_*`` variables
set by the stack (and by the local runtime), so no handler repeats them.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
