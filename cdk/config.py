"""Deployment settings: read from the CDK context (``cdk.json``), validated once, typed everywhere.

``cdk.json`` holds the defaults under the ``catalog`` key and per-stage overrides under
``catalog.stages.<stage>``. The stage itself is the top-level context key ``stage``, so both
``cdk deploy -c stage=prod`` and ``STAGE=prod python -m cdk.synth`` pick it. Any other setting can be
overridden the same way with a top-level context key of the same name (``-c alert_email=ops@x``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

REPO_ROOT = Path(__file__).resolve().parent.parent
CDK_JSON = REPO_ROOT / "cdk.json"
CONTEXT_KEY = "catalog"
STAGE_ENV_VAR = "STAGE"

# The retention periods (days) CloudWatch Logs accepts, by their CDK names.
_RETENTION_NAMES = {
    1: "ONE_DAY",
    3: "THREE_DAYS",
    5: "FIVE_DAYS",
    7: "ONE_WEEK",
    14: "TWO_WEEKS",
    30: "ONE_MONTH",
    60: "TWO_MONTHS",
    90: "THREE_MONTHS",
    120: "FOUR_MONTHS",
    150: "FIVE_MONTHS",
    180: "SIX_MONTHS",
    365: "ONE_YEAR",
    400: "THIRTEEN_MONTHS",
    545: "EIGHTEEN_MONTHS",
    731: "TWO_YEARS",
    1096: "THREE_YEARS",
    1827: "FIVE_YEARS",
    2192: "SIX_YEARS",
    2557: "SEVEN_YEARS",
    2922: "EIGHT_YEARS",
    3288: "NINE_YEARS",
    3653: "TEN_YEARS",
}

Seconds = Annotated[int, Field(ge=0, le=31_536_000)]


class ConfigError(ValueError):
    """The CDK context does not describe a deployable stack."""


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CacheSettings(_Settings):
    """Cache lifetimes of public reads: the query functions' headers and the CDN's upper bound."""

    max_age: Seconds = 60
    s_maxage: Seconds = 300
    stale_while_revalidate: Seconds = 60
    not_found_max_age: Annotated[int, Field(ge=0, le=10)] = 10
    edge_max_ttl: Seconds = 86_400


class ThrottleSettings(_Settings):
    """Steady-state requests per second and burst for one API stage."""

    rate_limit: Annotated[float, Field(gt=0)]
    burst_limit: Annotated[int, Field(gt=0)]


class FirewallSettings(_Settings):
    """The web ACLs' per-client-IP rate limits and the blocked-request alarm of one stage.

    A limit counts the requests of one client address within ``window_seconds``; WAF accepts
    10 and more, and only the four windows listed.
    """

    admin_rate_limit: Annotated[int, Field(ge=10, le=2_000_000_000)] = 300
    public_rate_limit: Annotated[int, Field(ge=10, le=2_000_000_000)] = 3000
    window_seconds: Literal[60, 120, 300, 600] = 300
    blocked_alarm_threshold: Annotated[int, Field(ge=1)] = 100


class StreamSettings(_Settings):
    """How the products stream is handed to the projector."""

    batch_size: Annotated[int, Field(ge=1, le=10_000)] = 100
    max_batching_window_seconds: Annotated[int, Field(ge=0, le=300)] = 1
    retry_attempts: Annotated[int, Field(ge=0, le=10_000)] = 5
    max_record_age_seconds: Annotated[int, Field(ge=60, le=604_800)] = 3600
    parallelization_factor: Annotated[int, Field(ge=1, le=10)] = 1


class EventLogSettings(_Settings):
    """The event log and its publisher."""

    retention_days: Annotated[int, Field(ge=1, le=3650)] = 30
    # The pause between attempts to publish an event SNS refused doubles from base up to max.
    retry_base_seconds: Annotated[int, Field(ge=1, le=60)] = 1
    retry_max_seconds: Annotated[int, Field(ge=1, le=900)] = 30
    # The log stream mapping's own retries; events it gives up on are still published by the sweep.
    stream_retry_attempts: Annotated[int, Field(ge=0, le=10_000)] = 10
    unpublished_age_alarm_seconds: Annotated[int, Field(ge=60)] = 600


class BulkSettings(_Settings):
    """Bulk imports and exports: fan-out width, how long files stay, when a job counts as stuck."""

    # Lambda's SQS maximum concurrency starts at 2; a few writers keep the write model's
    # transactions from contending with each other and with admins' own writes.
    import_concurrency: Annotated[int, Field(ge=2, le=1000)] = 5
    file_retention_days: Annotated[int, Field(ge=1, le=365)] = 7
    stuck_job_alarm_minutes: Annotated[int, Field(ge=5, le=1440)] = 30


class StackConfig(_Settings):
    """Everything that differs between deployments of the catalog stack."""

    app_name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9]{1,15}$")] = "catalog"
    stage: Annotated[str, Field(pattern=r"^[a-z][a-z0-9]{1,9}$")]
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d$")] = "us-west-1"
    account: Annotated[str, Field(pattern=r"^\d{12}$")] | None = None
    owner: Annotated[str, Field(min_length=1, max_length=128)]
    alert_email: Annotated[str, Field(pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")] = ""
    admin_allowed_origins: tuple[str, ...] = ()
    cache: CacheSettings = CacheSettings()
    admin_throttle: ThrottleSettings = ThrottleSettings(rate_limit=20, burst_limit=40)
    public_throttle: ThrottleSettings = ThrottleSettings(rate_limit=500, burst_limit=1000)
    stream: StreamSettings = StreamSettings()
    firewall: FirewallSettings = FirewallSettings()
    event_log: EventLogSettings = EventLogSettings()
    bulk: BulkSettings = BulkSettings()
    log_retention_days: int = 30
    access_log_retention_days: Annotated[int, Field(ge=1)] = 90
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    idempotency_ttl_seconds: Seconds = 24 * 3600
    admin_image_url_ttl_seconds: Seconds = 900
    upload_url_ttl_seconds: Annotated[int, Field(ge=60, le=3600)] = 600
    iterator_age_alarm_seconds: Annotated[int, Field(ge=1)] = 60
    # Lambda SnapStart on every function's published versions (decision 49): cold
    # starts resume from a primed snapshot, at a per-GB charge for caching and restoring it.
    snap_start: bool = True
    price_class: Literal["PriceClass_100", "PriceClass_200", "PriceClass_All"] = "PriceClass_100"
    # A custom domain is the only way to raise CloudFront's viewer TLS floor to TLSv1.2_2021;
    # the certificate must live in us-east-1 (a CloudFront requirement).
    domain_name: str | None = None
    certificate_arn: (
        Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/.+$")] | None
    ) = None
    # CLOUDFRONT-scoped web ACLs exist only in us-east-1, so the stack attaches one but cannot own it.
    web_acl_arn: str | None = None

    @field_validator("admin_allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):  # `-c admin_allowed_origins=https://a,https://b`
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value

    @field_validator("admin_allowed_origins")
    @classmethod
    def _origins_are_origins(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        for origin in origins:
            local = origin.startswith(("http://localhost", "http://127.0.0.1"))
            if (
                not (origin.startswith("https://") or local)
                or origin.rstrip("/") != origin
                or origin.count("/") != 2
            ):
                raise ValueError(f"{origin!r} is not an https origin (scheme://host[:port], no path)")
        return origins

    @model_validator(mode="after")
    def _custom_domain_is_complete(self) -> StackConfig:
        if bool(self.domain_name) != bool(self.certificate_arn):
            raise ValueError("set both domain_name and certificate_arn, or neither")
        return self

    @field_validator("log_retention_days")
    @classmethod
    def _valid_retention(cls, days: int) -> int:
        if days not in _RETENTION_NAMES:
            raise ValueError(
                f"CloudWatch Logs cannot keep logs for {days} days; pick one of {sorted(_RETENTION_NAMES)}"
            )
        return days

    @property
    def is_production(self) -> bool:
        """Production keeps its data when the stack or a resource goes away."""
        return self.stage == "prod"

    @property
    def log_retention(self) -> logs.RetentionDays:
        """Retention of every log group of the stack."""
        return logs.RetentionDays[_RETENTION_NAMES[self.log_retention_days]]

    @property
    def removal_policy(self) -> RemovalPolicy:
        """Production keeps stateful resources (tables, keys, buckets, logs) when they leave the stack."""
        return RemovalPolicy.RETAIN if self.is_production else RemovalPolicy.DESTROY

    @property
    def prefix(self) -> str:
        """Prefix of every physical name this stack chooses (log groups, bucket, stack)."""
        return f"{self.app_name}-{self.stage}"

    @property
    def log_group_prefix(self) -> str:
        """Name prefix of every log group this stack creates (the log key is scoped to it)."""
        return f"/{self.app_name}/{self.stage}"

    @property
    def stack_name(self) -> str:
        """The CloudFormation stack name, one stack per stage."""
        return f"{self.prefix}-stack"

    @property
    def service_name(self) -> str:
        """Powertools service name shared by every function (metrics dimension, log field)."""
        return self.app_name

    @property
    def metrics_namespace(self) -> str:
        """CloudWatch namespace of the functions' business metrics."""
        return "ProductCatalog"


def read_cdk_json(path: Path = CDK_JSON) -> dict[str, Any]:
    """The ``context`` object of ``cdk.json``.

    A plain ``App()`` run by ``python`` (not by the CDK CLI) never reads ``cdk.json``, so the app
    passes this to ``App(context=...)`` itself; the CLI's ``-c`` values still win over it.
    """
    document = json.loads(path.read_text(encoding="utf-8"))
    context = document.get("context", {})
    if not isinstance(context, dict):
        raise ConfigError(f"{path}: 'context' must be an object")
    return context


def context_overrides(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Context set from the process environment: ``STAGE`` picks the stage for plain ``python`` runs."""
    source = os.environ if environ is None else environ
    stage = source.get(STAGE_ENV_VAR, "").strip()
    return {"stage": stage} if stage else {}


def stack_config(context: Mapping[str, Any]) -> StackConfig:
    """Build the validated settings from a context mapping (``cdk.json`` plus overrides).

    Raises
    ------
    ConfigError
        When a setting is missing or invalid; the message names every problem.
    """
    stage = str(context.get("stage") or "dev")
    defaults = dict(context.get(CONTEXT_KEY) or {})
    per_stage = dict((defaults.pop("stages", None) or {}).get(stage) or {})
    values: dict[str, Any] = {**defaults, **per_stage, "stage": stage}
    # Top-level context keys named like a setting win: that is what `-c name=value` sets.
    values.update({name: context[name] for name in StackConfig.model_fields if name in context})
    try:
        return StackConfig.model_validate(values)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in error.errors())
        raise ConfigError(f"invalid catalog configuration for stage {stage!r}: {problems}") from error
