"""What both REST APIs share: stage settings, access logs, problem+json gateway responses, request
models and validators, and the wiring of :data:`shared.routes.ROUTES` entries to methods.

API Gateway answers some requests itself (bad body, missing token, throttling, ...). Those answers
follow the same RFC 9457 contract as the functions' own errors: ``application/problem+json``
with ``{type, title, status, detail}`` and an ``X-Request-Id`` header.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.checkov import skip_check
from cdk.config import StackConfig, ThrottleSettings
from cdk.json_schema import request_model_schema
from cdk.nag import acknowledge
from shared.problems import (
    PROBLEM_CONTENT_TYPE,
    PROBLEM_TYPE_BASE,
    Forbidden,
    InternalError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
    ValidationProblem,
)
from shared.routes import Route

_MESSAGE = "$context.error.messageString"  # already a quoted JSON string
_NO_INTERNALS = json.dumps(InternalError().detail)


@dataclass(frozen=True)
class GatewayProblem:
    """How API Gateway answers one of its own error cases."""

    response_type: apigw.ResponseType
    status: HTTPStatus
    slug: str
    detail: str = _MESSAGE  # a JSON value (template expression or quoted literal)

    def body(self) -> str:
        """The problem+json body template (API Gateway substitutes ``$context`` variables only)."""
        return (
            f'{{"type":"{PROBLEM_TYPE_BASE}{self.slug}","title":"{self.status.phrase}",'
            f'"status":{int(self.status)},"detail":{self.detail}}}'
        )


GATEWAY_PROBLEMS: tuple[GatewayProblem, ...] = (
    # The catch-alls get fixed statuses: every type API Gateway documents is listed below, so only
    # a future one lands here, and the body must state the status it is sent with.
    GatewayProblem(apigw.ResponseType.DEFAULT_4_XX, HTTPStatus.BAD_REQUEST, "bad-request"),
    GatewayProblem(
        apigw.ResponseType.DEFAULT_5_XX, HTTPStatus.INTERNAL_SERVER_ERROR, InternalError.slug, _NO_INTERNALS
    ),
    GatewayProblem(
        apigw.ResponseType.BAD_REQUEST_BODY,
        HTTPStatus.BAD_REQUEST,
        ValidationProblem.slug,
        '"$context.error.validationErrorString"',
    ),
    GatewayProblem(apigw.ResponseType.BAD_REQUEST_PARAMETERS, HTTPStatus.BAD_REQUEST, ValidationProblem.slug),
    GatewayProblem(apigw.ResponseType.UNAUTHORIZED, HTTPStatus.UNAUTHORIZED, Unauthorized.slug),
    # API Gateway says 403 for an expired token; for the client it is "authenticate again": 401.
    GatewayProblem(apigw.ResponseType.EXPIRED_TOKEN, HTTPStatus.UNAUTHORIZED, Unauthorized.slug),
    GatewayProblem(apigw.ResponseType.ACCESS_DENIED, HTTPStatus.FORBIDDEN, Forbidden.slug),
    GatewayProblem(apigw.ResponseType.INVALID_SIGNATURE, HTTPStatus.FORBIDDEN, Forbidden.slug),
    GatewayProblem(apigw.ResponseType.WAF_FILTERED, HTTPStatus.FORBIDDEN, Forbidden.slug),
    GatewayProblem(
        apigw.ResponseType.INVALID_API_KEY,
        HTTPStatus.FORBIDDEN,
        Forbidden.slug,
        json.dumps("this API is served through the catalog CDN only"),
    ),
    # API Gateway reports "no method matches" as a missing token. Every resource has an ANY method
    # and every other path a catch-all (see add_routes), so only a method ANY does not cover
    # (QUERY, PROPFIND, ...: anything but the seven standard ones) still ends here: a 405.
    GatewayProblem(
        apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
        HTTPStatus.METHOD_NOT_ALLOWED,
        MethodNotAllowed.slug,
        json.dumps("this method is not supported here"),
    ),
    GatewayProblem(apigw.ResponseType.RESOURCE_NOT_FOUND, HTTPStatus.NOT_FOUND, NotFound.slug),
    GatewayProblem(
        apigw.ResponseType.REQUEST_TOO_LARGE, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, PayloadTooLarge.slug
    ),
    GatewayProblem(
        apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE,
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        UnsupportedMediaType.slug,
    ),
    GatewayProblem(apigw.ResponseType.THROTTLED, HTTPStatus.TOO_MANY_REQUESTS, TooManyRequests.slug),
    GatewayProblem(apigw.ResponseType.QUOTA_EXCEEDED, HTTPStatus.TOO_MANY_REQUESTS, TooManyRequests.slug),
    GatewayProblem(
        apigw.ResponseType.INTEGRATION_FAILURE, HTTPStatus.BAD_GATEWAY, InternalError.slug, _NO_INTERNALS
    ),
    GatewayProblem(
        apigw.ResponseType.INTEGRATION_TIMEOUT, HTTPStatus.GATEWAY_TIMEOUT, InternalError.slug, _NO_INTERNALS
    ),
    GatewayProblem(
        apigw.ResponseType.AUTHORIZER_FAILURE,
        HTTPStatus.INTERNAL_SERVER_ERROR,
        InternalError.slug,
        _NO_INTERNALS,
    ),
    GatewayProblem(
        apigw.ResponseType.AUTHORIZER_CONFIGURATION_ERROR,
        HTTPStatus.INTERNAL_SERVER_ERROR,
        InternalError.slug,
        _NO_INTERNALS,
    ),
    GatewayProblem(
        apigw.ResponseType.API_CONFIGURATION_ERROR,
        HTTPStatus.INTERNAL_SERVER_ERROR,
        InternalError.slug,
        _NO_INTERNALS,
    ),
)

# Who called what and how it went; never a body, a header value, a query string or a token.
_ACCESS_LOG_FIELDS: Mapping[str, str] = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTimeEpoch",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integration.latency",
    "integrationStatus": "$context.integration.status",
    "errorType": "$context.error.responseType",
    "errorMessage": "$context.error.message",
    "xrayTraceId": "$context.xrayTraceId",
}
_PRINCIPAL_FIELD: Mapping[str, str] = {"principal": "$context.authorizer.claims.sub"}


def access_log_format(*, with_principal: bool) -> apigw.AccessLogFormat:
    """JSON access log lines without bodies; the admin API adds the caller's Cognito ``sub``."""
    fields = {**_ACCESS_LOG_FIELDS, **(_PRINCIPAL_FIELD if with_principal else {})}
    return apigw.AccessLogFormat.custom(json.dumps(fields, separators=(",", ":")))


def stage_options(
    config: StackConfig, throttle: ThrottleSettings, access_logs: logs.ILogGroup, *, with_principal: bool
) -> apigw.StageOptions:
    """Stage settings both APIs share: tracing, throttling, JSON access logs, no cache cluster."""
    return apigw.StageOptions(
        stage_name=config.stage,
        tracing_enabled=True,
        throttling_rate_limit=throttle.rate_limit,
        throttling_burst_limit=throttle.burst_limit,
        access_log_destination=apigw.LogGroupLogDestination(access_logs),
        access_log_format=access_log_format(with_principal=with_principal),
        # Execution logs for errors only, and never request/response data (bodies, tokens).
        logging_level=apigw.MethodLoggingLevel.ERROR,
        data_trace_enabled=False,
        metrics_enabled=True,
        # CloudFront is the cache; an API Gateway cache cluster would be a second, paid, stale copy.
        cache_cluster_enabled=False,
        caching_enabled=False,
    )


def access_log_group(
    scope: Construct, config: StackConfig, name: str, encryption_key: kms.IKey
) -> logs.LogGroup:
    """The access log group of one API, with the stage's retention, encrypted with the log key."""
    return logs.LogGroup(
        scope,
        "AccessLogs",
        log_group_name=f"{config.log_group_prefix}/apigateway/{name}-access",
        encryption_key=encryption_key,
        retention=config.log_retention,
        removal_policy=config.removal_policy,
    )


def add_problem_responses(
    api: apigw.RestApi, routes: Sequence[Route], *, extra_headers: Mapping[str, str] | None = None
) -> None:
    """Make every response API Gateway produces itself an RFC 9457 problem (see :data:`GATEWAY_PROBLEMS`).

    A gateway response cannot vary by resource, so its 405 names every method ``routes`` serve
    somewhere in the API (with OPTIONS); the functions' own 405s name the resource's methods.
    """
    headers = {
        "Content-Type": f"'{PROBLEM_CONTENT_TYPE}'",
        "X-Request-Id": "context.requestId",
        "Cache-Control": "'no-store'",
        **(extra_headers or {}),
    }
    for problem in GATEWAY_PROBLEMS:
        response_headers = dict(headers)
        if problem.status == HTTPStatus.UNAUTHORIZED:
            response_headers["WWW-Authenticate"] = "'Bearer realm=\"catalog-admin\"'"
        if problem.status == HTTPStatus.METHOD_NOT_ALLOWED:
            response_headers["Allow"] = f"'{api_methods(routes)}'"
        api.add_gateway_response(
            problem.response_type.response_type.replace("_", "-").lower(),
            type=problem.response_type,
            status_code=str(int(problem.status)),
            response_headers=response_headers,
            templates={"application/json": problem.body()},
        )


class RequestValidation(Construct):
    """The validators of one API and a request model per body model, generated from pydantic."""

    def __init__(self, scope: Construct, construct_id: str, *, api: apigw.RestApi) -> None:
        super().__init__(scope, construct_id)
        self._api = api
        self.body_and_parameters = apigw.RequestValidator(
            self,
            "BodyAndParameters",
            rest_api=api,
            request_validator_name="body-and-parameters",
            validate_request_body=True,
            validate_request_parameters=True,
        )
        self.parameters_only = apigw.RequestValidator(
            self,
            "ParametersOnly",
            rest_api=api,
            request_validator_name="parameters-only",
            validate_request_body=False,
            validate_request_parameters=True,
        )
        self._models: dict[str, apigw.Model] = {}

    def validator_for(self, route: Route) -> apigw.IRequestValidator:
        """Body and parameters for routes with a body, parameters for the others."""
        return self.body_and_parameters if route.body else self.parameters_only

    def models_for(self, route: Route) -> dict[str, apigw.IModel] | None:
        """The request model of ``route``'s body for each content type it accepts.

        Other content types are not validated by API Gateway (it has no model for them) and reach the
        function, which answers 415; a ``$default`` model would turn those into 400s instead.
        """
        if route.body is None:
            return None
        model = self._model(route.body.__name__, request_model_schema(route.body))
        return dict.fromkeys(route.body_content_types, model)

    def _model(self, name: str, schema: dict[str, object]) -> apigw.Model:
        if name not in self._models:
            model = apigw.Model(
                self,
                name,
                rest_api=self._api,
                model_name=name,
                content_type="application/json",
                description=f"{name}, generated from the pydantic model",
                schema=apigw.JsonSchema(
                    schema=apigw.JsonSchemaVersion.DRAFT4, type=apigw.JsonSchemaType.OBJECT
                ),
            )
            # The L2 only takes its typed JsonSchema; the generated draft-04 document goes in verbatim.
            cfn_model = model.node.default_child
            assert isinstance(cfn_model, apigw.CfnModel)
            cfn_model.schema = schema
            self._models[name] = model
        return self._models[name]


def api_methods(routes: Sequence[Route]) -> str:
    """The ``Allow`` value of an API serving ``routes``: their methods, HEAD with GET, and OPTIONS."""
    served = {route.method for route in routes}
    if "GET" in served:
        served.add("HEAD")  # the ANY fallback hands HEAD to the GET route's function
    return ", ".join([*sorted(served), "OPTIONS"])


def path_parameters(path: str) -> dict[str, bool]:
    """Request parameter declarations for the ``{name}`` segments of ``path`` (all required)."""
    return {f"method.request.path.{name}": True for name in re.findall(r"{([^}]+)}", path)}


@dataclass(frozen=True)
class MethodAuth:
    """How every method of one API is protected."""

    authorizer: apigw.IAuthorizer | None = None
    api_key_required: bool = False


def add_routes(
    api: apigw.RestApi,
    routes: Sequence[Route],
    functions: Mapping[str, lambda_.IFunction],
    validation: RequestValidation,
    auth: MethodAuth,
) -> dict[str, apigw.Method]:
    """One method per route, plus an ``ANY`` fallback per resource so the function answers 405.

    API Gateway itself cannot tell "no such method here" (405) from "no such path" (404); the
    fallback sends other methods on a known resource to the resource's function, whose resolver
    answers 405 with an ``Allow`` header (and HEAD, which CloudFront forwards, reaches it too).
    """
    methods: dict[str, apigw.Method] = {}
    fallbacks: dict[str, str] = {}
    for route in routes:
        resource = api.root.resource_for_path(route.path)
        methods[f"{route.method} {route.path}"] = resource.add_method(
            route.method,
            _integration(functions[route.function]),
            authorizer=auth.authorizer,
            authorization_type=apigw.AuthorizationType.COGNITO
            if auth.authorizer
            else apigw.AuthorizationType.NONE,
            api_key_required=auth.api_key_required,
            request_validator=validation.validator_for(route),
            request_models=validation.models_for(route),
            request_parameters=path_parameters(route.path) or None,
        )
        fallbacks.setdefault(route.path, route.function)
    for path, function_key in fallbacks.items():
        resource = api.root.resource_for_path(path)
        methods[f"ANY {path}"] = resource.add_method(
            "ANY",
            _integration(functions[function_key]),
            authorizer=auth.authorizer,
            authorization_type=apigw.AuthorizationType.COGNITO
            if auth.authorizer
            else apigw.AuthorizationType.NONE,
            api_key_required=auth.api_key_required,
            request_validator=validation.parameters_only,
            request_parameters=path_parameters(path) or None,
        )
    _add_unknown_resource_answer(api, validation, auth, methods)
    return methods


UNKNOWN_RESOURCE_PATH = "/{proxy+}"


def _add_unknown_resource_answer(
    api: apigw.RestApi, validation: RequestValidation, auth: MethodAuth, methods: dict[str, apigw.Method]
) -> None:
    """Answer standard methods on paths no route has with a 404 problem, without a function.

    API Gateway reports those as a missing token, which now means 405 (an unknown method); a
    greedy catch-all below the root (and ANY on the root) keeps "no such path" a 404. The answer is
    a MOCK integration: no function runs, nothing is read. It has the API's own protection, so
    the admin API still says 401 to callers without a token.
    """
    problem = NotFound("no resource at this path")
    headers = {
        "Content-Type": f"'{PROBLEM_CONTENT_TYPE}'",
        "X-Request-Id": "context.requestId",
        "Cache-Control": "'no-store'",
    }
    status = str(int(problem.status))
    integration = apigw.MockIntegration(
        request_templates={"application/json": json.dumps({"statusCode": int(problem.status)})},
        passthrough_behavior=apigw.PassthroughBehavior.WHEN_NO_TEMPLATES,
        integration_responses=[
            apigw.IntegrationResponse(
                status_code=status,
                response_parameters={f"method.response.header.{k}": v for k, v in headers.items()},
                response_templates={"application/json": problem.body()},
            )
        ],
    )
    method_responses = [
        apigw.MethodResponse(
            status_code=status,
            response_parameters={f"method.response.header.{name}": True for name in headers},
        )
    ]
    for path, resource in (("/", api.root), (UNKNOWN_RESOURCE_PATH, api.root.add_resource("{proxy+}"))):
        methods[f"ANY {path}"] = resource.add_method(
            "ANY",
            integration,
            authorizer=auth.authorizer,
            authorization_type=apigw.AuthorizationType.COGNITO
            if auth.authorizer
            else apigw.AuthorizationType.NONE,
            api_key_required=auth.api_key_required,
            request_validator=validation.parameters_only,
            method_responses=method_responses,
        )


def _integration(function: lambda_.IFunction) -> apigw.LambdaIntegration:
    # No console test-invoke permission: it would let anyone with apigateway:TestInvoke call the
    # function around the authorizer.
    return apigw.LambdaIntegration(function, proxy=True, allow_test_invoke=False)


class ApiGatewayLogging(Construct):
    """The account-level role API Gateway needs to write access and execution logs.

    It is a per-region account setting, so it is created once here rather than once per API
    (two ``AWS::ApiGateway::Account`` resources would race each other).
    """

    def __init__(self, scope: Construct, construct_id: str, *, log_key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.log_key = log_key  # the key of every access log group
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="Lets API Gateway push access and execution logs to CloudWatch Logs",
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                )
            ],
        )
        self.account = apigw.CfnAccount(self, "Account", cloud_watch_role_arn=self.role.role_arn)
        # Other stacks in the account may rely on the setting (and so on the role it names): keep
        # both when this stack goes away, in every stage.
        self.account.apply_removal_policy(RemovalPolicy.RETAIN)
        self.role.apply_removal_policy(RemovalPolicy.RETAIN)
        acknowledge(
            self.role,
            "AwsSolutions-IAM4",
            "AmazonAPIGatewayPushToCloudWatchLogs is the AWS-maintained policy for the account-level API "
            "Gateway logging role; API Gateway names its own log groups, so it cannot be narrowed upfront.",
            finding="Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
        )

    def logs_before(self, api: apigw.RestApi) -> None:
        """Make ``api``'s stage wait for the logging role, which the stage's log settings need.

        Every stage is set up here, so the stage-level checkov decision is recorded here too.
        """
        api.deployment_stage.node.add_dependency(self.account)
        skip_check(
            api.deployment_stage,
            "CKV_AWS_120",
            "No API Gateway cache on purpose: public reads are cached by CloudFront (the only caller of "
            "that stage) and admin answers are per-request writes and reads that must never be cached; a "
            "cache cluster would be a second, paid, staler copy.",
        )
