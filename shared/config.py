"""Function configuration: read from the environment and validated once, at cold start.

Each Lambda function has one settings class here. Handlers call :func:`load_config` once;
domain code receives plain values and never reads ``os.environ``. Environment variable names are
the upper-cased field names, and the same resource always has the same variable name in every
function, so the local runtime can serve all functions from one process environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import Annotated, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class ConfigurationError(RuntimeError):
    """The function's environment is missing or has an invalid setting."""


class FunctionConfig(BaseModel):
    """Base of every function's settings: immutable, unknown variables ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


TableName = Annotated[str, Field(min_length=3, max_length=255)]
Seconds = Annotated[int, Field(ge=0, le=31_536_000)]


def _split_origins(value: object) -> object:
    if isinstance(value, str):
        return tuple(origin.strip() for origin in value.split(",") if origin.strip())
    return value


class AdminApiConfig(FunctionConfig):
    """Settings every admin (command) function shares."""

    products_table_name: TableName
    idempotency_table_name: TableName
    admin_allowed_origins: tuple[str, ...] = ()
    idempotency_ttl_seconds: Seconds = 24 * 3600

    _origins = field_validator("admin_allowed_origins", mode="before")(_split_origins)


class AdminProductsConfig(AdminApiConfig):
    """`commands.products`: product CRUD and history; admin reads show presigned image URLs."""

    images_bucket_name: str
    event_log_table_name: TableName
    admin_image_url_ttl_seconds: Seconds = 900


class AdminInventoryConfig(AdminApiConfig):
    """`commands.inventory`: stock adjustments."""


class AdminImagesConfig(AdminApiConfig):
    """`commands.images`: presigned uploads and image removal."""

    images_bucket_name: str
    upload_url_ttl_seconds: Annotated[int, Field(ge=60, le=3600)] = 600


class ImageRegistrationConfig(FunctionConfig):
    """`commands.image_registration`: registers uploaded images on their products."""

    products_table_name: TableName
    images_bucket_name: str


class PublicApiConfig(FunctionConfig):
    """`queries.*`: the public catalog, read from the read views only."""

    views_table_name: TableName
    cursor_secret_arn: str
    # How long a warm function keeps the cursor secret before reading it again (rotation lag).
    cursor_secret_max_age_seconds: Annotated[int, Field(ge=1, le=3600)] = 300
    cache_max_age: Seconds = 60
    cache_s_maxage: Seconds = 300
    cache_stale_while_revalidate: Seconds = 60
    not_found_max_age: Annotated[int, Field(ge=0, le=10)] = 10


RetentionDays = Annotated[int, Field(ge=1, le=3650)]


class ProjectorConfig(FunctionConfig):
    """`projectors.catalog`: maintains the read views and logs every event with its view change."""

    views_table_name: TableName
    event_log_table_name: TableName
    event_log_retention_days: RetentionDays = 30
    images_base_url: str = ""
    event_source: str = "urn:catalog:products"


class EventPublisherConfig(FunctionConfig):
    """`projectors.publisher`: publishes logged events to the topic, retrying until SNS takes them."""

    event_log_table_name: TableName
    inventory_topic_arn: str
    publish_retry_base_seconds: Annotated[int, Field(ge=1, le=60)] = 1
    publish_retry_max_seconds: Annotated[int, Field(ge=1, le=900)] = 30
    sweep_max_events: Annotated[int, Field(ge=1, le=10_000)] = 1000


ConfigT = TypeVar("ConfigT", bound=FunctionConfig)


def load_config(config_class: type[ConfigT], environ: Mapping[str, str] | None = None) -> ConfigT:
    """Read and validate ``config_class`` from the environment (upper-cased field names).

    Raises
    ------
    ConfigurationError
        When a required variable is missing or a value is invalid; the message names them all.
    """
    source = os.environ if environ is None else environ
    values = {name: source[name.upper()] for name in config_class.model_fields if name.upper() in source}
    try:
        return config_class.model_validate(values)
    except ValidationError as error:
        problems = "; ".join(f"{str(err['loc'][0]).upper()}: {err['msg']}" for err in error.errors())
        raise ConfigurationError(f"invalid {config_class.__name__}: {problems}") from error


@cache
def cached_config(config_class: type[ConfigT]) -> ConfigT:
    """The process-wide settings of one function, read on first use (cold start)."""
    return load_config(config_class)
