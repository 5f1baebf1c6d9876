"""A placeholder environment that lets every handler module import outside Lambda.

Handler modules validate their settings class at import (cold start). Tools that import them
without serving requests (the OpenAPI generator, the cold-start benchmark) need values that pass
validation and are never used; they are derived from the functions' settings classes, so a new
required setting needs no change here.
"""

from __future__ import annotations

from shared.routes import FUNCTIONS

REGION = "us-west-1"


def _placeholder(name: str) -> str:
    if name.endswith("_arn"):
        return f"arn:aws:placeholder:{REGION}:000000000000:{name.removesuffix('_arn')}"
    return name.replace("_", "-")


def placeholder_environment() -> dict[str, str]:
    """Every required setting of every function (upper-cased names), with a value that validates."""
    environment = {"AWS_DEFAULT_REGION": REGION, "POWERTOOLS_TRACE_DISABLED": "true"}
    for spec in FUNCTIONS:
        for name, field in spec.config.model_fields.items():
            if field.is_required():
                environment[name.upper()] = _placeholder(name)
    return environment
