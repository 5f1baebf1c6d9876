"""One Lambda function of :data:`shared.routes.FUNCTIONS`, with its own log group and its own role.

Every function is built the same way: Python 3.13 on arm64, X-Ray active tracing, JSON logs into an
explicit log group with retention, the shared code asset and the dependency layer built from
``uv.lock`` (:mod:`cdk.constructs.dependency_layer`), and an execution role that starts empty:
each capability construct grants exactly the actions the function calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.checkov import skip_check
from cdk.nag import acknowledge
from shared.config import ConfigurationError, load_config
from shared.routes import FUNCTIONS, FunctionSpec, function

# Names Lambda sets itself; setting one makes CloudFormation fail, or silently misleads the code.
RESERVED_PREFIXES = ("AWS_", "LAMBDA_", "_")
# IAM has no resource type for these actions, so "*" is the only resource they can be granted on.
RESOURCELESS_ACTIONS = frozenset(
    {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "dynamodb:ListStreams"}
)
# checkov findings every catalog function shares, and why each is not a gap here.
FUNCTION_CHECKOV_SKIPS: Mapping[str, str] = MappingProxyType(
    {
        "CKV_AWS_115": "No reserved concurrency: it carves capacity out of the account's shared pool (and "
        "fails deployment below the default quota); API functions are bounded by stage throttling and the "
        "web ACL rate limits, the projector by shards x parallelization factor, and throttles are alarmed.",
        "CKV_AWS_116": "No DLQ: a DLQ only applies to asynchronous invocations. API functions are invoked "
        "synchronously (the caller gets the error); the asynchronous S3 invocations (image registration, "
        "import start) and the stream mappings have an encrypted, alarmed SQS on-failure destination, "
        "and the SQS-fed job functions a redrive queue on their work queue instead.",
        "CKV_AWS_117": "No VPC: the functions call only AWS APIs (DynamoDB, S3, SNS, SQS, Secrets Manager) "
        "over TLS with IAM; there is no private resource to reach, and a VPC would add NAT or endpoint "
        "cost and cold-start latency without reducing exposure.",
        "CKV_AWS_173": "The environment holds only resource names, ARNs and tuning values (secrets live in "
        "Secrets Manager, read at run time) and Lambda encrypts it at rest with its service key; a CMK "
        "would add a kms:Decrypt on every cold start without protecting anything secret.",
    }
)
RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64
# The alias every trigger invokes: the version published from the current code and settings.
LIVE_ALIAS = "live"

SettingValue = str | int | Sequence[str]


class FunctionSettingsError(ValueError):
    """The settings a construct offers do not satisfy a function's settings class."""


@dataclass(frozen=True)
class FunctionDefaults:
    """What every function of the stack shares."""

    code: lambda_.Code
    layers: Sequence[lambda_.ILayerVersion]
    log_group_prefix: str
    log_retention: logs.RetentionDays
    log_removal_policy: RemovalPolicy
    log_key: kms.IKey
    log_level: str
    service_name: str
    metrics_namespace: str
    snap_start: bool = False


def function_environment(key: str, settings: Mapping[str, SettingValue]) -> dict[str, str]:
    """The environment of function ``key``: exactly the upper-cased fields of its settings class.

    ``settings`` may offer more values than this function needs (constructs share one pool between
    their functions); a required field missing from it, a name that no settings class knows, or a
    value the class rejects fails the synthesis instead of the first cold start.
    """
    config_class = function(key).config
    known = {name for spec in FUNCTIONS for name in spec.config.model_fields}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise FunctionSettingsError(f"no function settings class has the fields {unknown}")
    environment: dict[str, str] = {}
    for name, field in config_class.model_fields.items():
        if name in settings:
            value = settings[name]
        elif field.is_required():
            raise FunctionSettingsError(
                f"{key} needs {name!r} ({config_class.__name__}) and nothing provides it"
            )
        else:
            value = field.get_default(call_default_factory=True)
        environment[name.upper()] = _render(value)
    reserved = sorted(name for name in environment if name.startswith(RESERVED_PREFIXES))
    if reserved:
        raise FunctionSettingsError(f"{key}: {reserved} are reserved by Lambda")
    try:
        load_config(config_class, environment)
    except ConfigurationError as error:
        raise FunctionSettingsError(f"{key}: {error}") from error
    return environment


def _render(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ",".join(str(item) for item in value)
    return str(value)


class CatalogFunction(Construct):
    """A function of the catalog with an explicit log group and a role that holds only its grants."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: FunctionSpec,
        defaults: FunctionDefaults,
        settings: Mapping[str, SettingValue],
        timeout: Duration,
        memory_size: int = 512,
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"{defaults.log_group_prefix}/lambda/{spec.key}",
            retention=defaults.log_retention,
            removal_policy=defaults.log_removal_policy,
            encryption_key=defaults.log_key,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Execution role of the catalog {spec.key} function; holds only its own grants",
        )
        environment = {
            **function_environment(spec.key, settings),
            "POWERTOOLS_SERVICE_NAME": defaults.service_name,
            "POWERTOOLS_METRICS_NAMESPACE": defaults.metrics_namespace,
            "POWERTOOLS_LOG_LEVEL": defaults.log_level,
        }
        self.function = lambda_.Function(
            self,
            "Function",
            description=spec.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=spec.handler,
            code=defaults.code,
            layers=list(defaults.layers),
            role=self.role,
            environment=environment,
            memory_size=memory_size,
            timeout=timeout,
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            log_group=self.log_group,
            # Powertools filters application logs itself; Lambda's own filter only has to agree.
            application_log_level_v2=lambda_.ApplicationLogLevel[
                defaults.log_level.replace("WARNING", "WARN")
            ],
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if defaults.snap_start else None,
        )
        # Every trigger (API Gateway, the stream mapping, S3) invokes this alias, never $LATEST:
        # SnapStart applies to published versions only, and one wiring serves both settings.
        self.alias = lambda_.Alias(self, "Live", alias_name=LIVE_ALIAS, version=self.function.current_version)
        self.grant(
            "WriteOwnLogs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[self.log_group.log_group_arn],
        )
        self._acknowledge_findings()

    def grant(self, sid: str, *, actions: Sequence[str], resources: Sequence[str]) -> None:
        """Allow this function exactly ``actions`` on ``resources``.

        Wildcard actions are refused, and ``"*"`` as a resource is accepted only for actions IAM
        cannot scope (:data:`RESOURCELESS_ACTIONS`); that invariant is what the cdk-nag
        acknowledgement of this role's ``Resource::*`` finding states.
        """
        wildcards = [action for action in actions if "*" in action]
        if wildcards:
            raise ValueError(f"{self.spec.key}: grant explicit actions, not {wildcards}")
        if "*" in resources and not set(actions) <= RESOURCELESS_ACTIONS:
            raise ValueError(
                f"{self.spec.key}: {sorted(set(actions) - RESOURCELESS_ACTIONS)} need a resource"
            )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(sid=sid, actions=list(actions), resources=list(resources))
        )

    def _acknowledge_findings(self) -> None:
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "Pinned to Python 3.13 on purpose: the dependency layer's wheels are built from uv.lock for "
            "exactly this runtime and architecture; runtime and layer are bumped together.",
        )
        acknowledge(
            self.role,
            "AwsSolutions-IAM5",
            "'*' is granted only for actions IAM has no resource type for: X-Ray PutTraceSegments and "
            "PutTelemetryRecords (active tracing, every function) and dynamodb:ListStreams (the projector's "
            "stream poller); grant() refuses any other action on '*'.",
            finding="Resource::*",
        )
        for check_id, reason in FUNCTION_CHECKOV_SKIPS.items():
            skip_check(self.function, check_id, reason)
