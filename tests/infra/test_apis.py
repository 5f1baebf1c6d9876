"""Both REST APIs: routes, auth, request validation, problem+json gateway responses, stages."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from cdk.json_schema import request_model_schema
from shared.problems import PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_BASE
from shared.routes import ROUTES, Route
from tests.infra.support import Synthesized, methods, render

pytestmark = pytest.mark.infra

ADMIN_ROUTES = [route for route in ROUTES if route.path.startswith("/admin")]
PUBLIC_ROUTES = [route for route in ROUTES if not route.path.startswith("/admin")]
# Every response API Gateway makes itself must be a problem; these are the ones SPEC names.
REQUIRED_PROBLEMS = {
    "DEFAULT_4XX": None,
    "DEFAULT_5XX": None,
    "BAD_REQUEST_BODY": 400,
    "BAD_REQUEST_PARAMETERS": 400,
    "UNAUTHORIZED": 401,
    "ACCESS_DENIED": 403,
    "MISSING_AUTHENTICATION_TOKEN": 405,
    "REQUEST_TOO_LARGE": 413,
    "UNSUPPORTED_MEDIA_TYPE": 415,
    "THROTTLED": 429,
}
BODY_FREE_CONTEXT = re.compile(r"\$context\.(requestOverride|responseOverride)|\$input|body", re.IGNORECASE)


def _api_ids(synth: Synthesized) -> dict[str, str]:
    return {
        "admin": synth.logical_id(synth.stack.admin.api),
        "public": synth.logical_id(synth.stack.public.api),
    }


def _route_methods(synth: Synthesized, api: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        key: value
        for key, value in methods(synth, _api_ids(synth)[api]).items()
        if key[0] not in ("OPTIONS", "ANY")
    }


@pytest.mark.parametrize(("api", "routes"), [("admin", ADMIN_ROUTES), ("public", PUBLIC_ROUTES)])
def test_each_api_has_one_method_per_route_of_its_kind(
    synthesized: Synthesized, api: str, routes: list[Route]
) -> None:
    assert set(_route_methods(synthesized, api)) == {(route.method, route.path) for route in routes}


@pytest.mark.parametrize("api", ["admin", "public"])
def test_every_resource_with_routes_has_a_fallback_so_functions_answer_405(
    synthesized: Synthesized, api: str
) -> None:
    all_methods = methods(synthesized, _api_ids(synthesized)[api])
    route_paths = {path for _, path in _route_methods(synthesized, api)}
    assert {path for method, path in all_methods if method == "ANY"} == {*route_paths, "/", "/{proxy+}"}


@pytest.mark.parametrize(
    ("api", "allow"),
    [("admin", "DELETE, GET, HEAD, PATCH, POST, PUT, OPTIONS"), ("public", "GET, HEAD, OPTIONS")],
)
def test_a_method_api_gateway_cannot_route_is_a_405_naming_the_apis_methods(
    synthesized: Synthesized, api: str, allow: str
) -> None:
    response = _gateway_responses(synthesized, api)["MISSING_AUTHENTICATION_TOKEN"]
    assert response["StatusCode"] == "405"
    assert response["ResponseParameters"]["gatewayresponse.header.Allow"] == f"'{allow}'"


@pytest.mark.parametrize("api", ["admin", "public"])
@pytest.mark.parametrize("path", ["/", "/{proxy+}"])
def test_paths_without_routes_are_404_problems_answered_without_a_function(
    synthesized: Synthesized, api: str, path: str
) -> None:
    method = methods(synthesized, _api_ids(synthesized)[api])[("ANY", path)]
    integration = method["Integration"]
    assert integration["Type"] == "MOCK"
    (response,) = integration["IntegrationResponses"]
    assert response["StatusCode"] == "404"
    assert (
        response["ResponseParameters"]["method.response.header.Content-Type"] == f"'{PROBLEM_CONTENT_TYPE}'"
    )
    body = json.loads(response["ResponseTemplates"]["application/json"])
    assert (body["status"], body["title"]) == (404, "Not Found")
    protected = (
        method.get("AuthorizationType") == "COGNITO_USER_POOLS" or method.get("ApiKeyRequired") is True
    )
    assert protected


def test_every_admin_method_but_cors_preflight_requires_the_cognito_authorizer(
    synthesized: Synthesized,
) -> None:
    authorizers = synthesized.of_type("AWS::ApiGateway::Authorizer")
    (authorizer,) = authorizers
    assert authorizers[authorizer]["Properties"]["Type"] == "COGNITO_USER_POOLS"
    assert authorizers[authorizer]["Properties"]["ProviderARNs"] == [
        {"Fn::GetAtt": [synthesized.logical_id(synthesized.stack.admin.user_pool), "Arn"]}
    ]
    for (method, path), properties in methods(synthesized, _api_ids(synthesized)["admin"]).items():
        if method == "OPTIONS":
            assert properties["AuthorizationType"] == "NONE", path
            continue
        assert properties["AuthorizationType"] == "COGNITO_USER_POOLS", (method, path)
        assert properties["AuthorizerId"] == {"Ref": authorizer}, (method, path)


def test_admin_users_belong_to_the_catalog_admins_group(synthesized: Synthesized) -> None:
    groups = [g["Properties"] for g in synthesized.of_type("AWS::Cognito::UserPoolGroup").values()]
    assert [group["GroupName"] for group in groups] == ["catalog-admins"]
    pool = synthesized.properties(synthesized.stack.admin.user_pool)
    assert pool["MfaConfiguration"] == "ON"
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True


def test_every_public_method_but_cors_preflight_requires_the_cloudfront_api_key(
    synthesized: Synthesized,
) -> None:
    for (method, path), properties in methods(synthesized, _api_ids(synthesized)["public"]).items():
        assert properties["AuthorizationType"] == "NONE"
        assert properties.get("ApiKeyRequired", False) is (method != "OPTIONS"), (method, path)


def test_the_api_key_is_the_generated_secret_and_bound_to_the_public_stage(synthesized: Synthesized) -> None:
    (key,) = synthesized.of_type("AWS::ApiGateway::ApiKey").values()
    secret_id = synthesized.logical_id(synthesized.stack.public.origin_key_secret)
    assert key["Properties"]["Value"] == {
        "Fn::Join": ["", ["{{resolve:secretsmanager:", {"Ref": secret_id}, ":SecretString:::}}"]]
    }
    (plan,) = synthesized.of_type("AWS::ApiGateway::UsagePlan").values()
    assert plan["Properties"]["ApiStages"][0]["ApiId"] == {"Ref": _api_ids(synthesized)["public"]}
    assert synthesized.properties(synthesized.stack.public.api)["ApiKeySourceType"] == "HEADER"


@pytest.mark.parametrize("api", ["admin", "public"])
def test_every_method_has_a_request_validator_attached(synthesized: Synthesized, api: str) -> None:
    validators = synthesized.of_type("AWS::ApiGateway::RequestValidator")
    for (method, path), properties in methods(synthesized, _api_ids(synthesized)[api]).items():
        if method == "OPTIONS":
            continue
        validator = validators[properties["RequestValidatorId"]["Ref"]]["Properties"]
        assert validator["RestApiId"] == {"Ref": _api_ids(synthesized)[api]}
        assert validator["ValidateRequestParameters"] is True, (method, path)


@pytest.mark.parametrize(
    "route", [route for route in ROUTES if route.body], ids=lambda route: route.body.__name__
)
def test_routes_with_a_body_validate_it_against_the_generated_model(
    synthesized: Synthesized, route: Route
) -> None:
    assert route.body is not None
    method = _route_methods(synthesized, "admin")[(route.method, route.path)]
    validator = synthesized.resources[method["RequestValidatorId"]["Ref"]]["Properties"]
    assert validator["ValidateRequestBody"] is True
    assert set(method["RequestModels"]) == set(route.body_content_types)
    for model_ref in method["RequestModels"].values():
        model = synthesized.resources[model_ref["Ref"]]["Properties"]
        assert model["Name"] == route.body.__name__
        assert model["Schema"] == request_model_schema(route.body)
        assert "$ref" not in json.dumps(model["Schema"])
        assert "$defs" not in json.dumps(model["Schema"])


def test_path_parameters_are_declared_required(synthesized: Synthesized) -> None:
    method = _route_methods(synthesized, "admin")[("DELETE", "/admin/products/{id}/images/{image_id}")]
    assert method["RequestParameters"] == {
        "method.request.path.id": True,
        "method.request.path.image_id": True,
    }


def _gateway_responses(synth: Synthesized, api: str) -> dict[str, dict[str, Any]]:
    return {
        resource["Properties"]["ResponseType"]: resource["Properties"]
        for resource in synth.of_type("AWS::ApiGateway::GatewayResponse").values()
        if resource["Properties"]["RestApiId"] == {"Ref": _api_ids(synth)[api]}
    }


@pytest.mark.parametrize("api", ["admin", "public"])
def test_api_gateway_errors_are_problem_json_with_the_request_id(synthesized: Synthesized, api: str) -> None:
    responses = _gateway_responses(synthesized, api)
    assert set(REQUIRED_PROBLEMS) <= set(responses)
    for response_type, response in responses.items():
        headers = response["ResponseParameters"]
        assert headers["gatewayresponse.header.Content-Type"] == f"'{PROBLEM_CONTENT_TYPE}'"
        assert headers["gatewayresponse.header.X-Request-Id"] == "context.requestId"
        template = response["ResponseTemplates"]["application/json"]
        # API Gateway substitutes the variables; messageString is already a quoted JSON string.
        body = json.loads(
            template.replace("$context.error.messageString", '"message"').replace(
                "$context.error.validationErrorString", "[instance failed to match]"
            )
        )
        assert set(body) == {"type", "title", "status", "detail"}, response_type
        assert body["type"].startswith(PROBLEM_TYPE_BASE)
        assert body["status"] == int(response["StatusCode"]), response_type
        expected_status = REQUIRED_PROBLEMS.get(response_type)
        if expected_status is not None:
            assert body["status"] == expected_status, response_type


def test_a_bad_request_body_names_what_failed_validation(synthesized: Synthesized) -> None:
    template = _gateway_responses(synthesized, "admin")["BAD_REQUEST_BODY"]["ResponseTemplates"][
        "application/json"
    ]
    assert '"detail":"$context.error.validationErrorString"' in template


def test_unauthorized_answers_carry_a_bearer_challenge(synthesized: Synthesized) -> None:
    headers = _gateway_responses(synthesized, "admin")["UNAUTHORIZED"]["ResponseParameters"]
    assert headers["gatewayresponse.header.WWW-Authenticate"].startswith("'Bearer")


def _stage(synth: Synthesized, api: str) -> dict[str, Any]:
    stages: list[dict[str, Any]] = [
        resource["Properties"]
        for resource in synth.of_type("AWS::ApiGateway::Stage").values()
        if resource["Properties"]["RestApiId"] == {"Ref": _api_ids(synth)[api]}
    ]
    (stage,) = stages
    return stage


@pytest.mark.parametrize("api", ["admin", "public"])
def test_stage_traces_throttles_and_has_no_cache_cluster(synthesized: Synthesized, api: str) -> None:
    stage = _stage(synthesized, api)
    config = synthesized.catalog.config
    throttle = config.admin_throttle if api == "admin" else config.public_throttle
    assert stage["TracingEnabled"] is True
    assert stage["CacheClusterEnabled"] is False
    (settings,) = stage["MethodSettings"]
    assert settings["CachingEnabled"] is False
    assert settings["DataTraceEnabled"] is False
    assert settings["LoggingLevel"] == "ERROR"
    assert settings["ThrottlingRateLimit"] == throttle.rate_limit
    assert settings["ThrottlingBurstLimit"] == throttle.burst_limit


@pytest.mark.parametrize("api", ["admin", "public"])
def test_access_logs_are_json_lines_without_bodies(synthesized: Synthesized, api: str) -> None:
    log_format = json.loads(_stage(synthesized, api)["AccessLogSetting"]["Format"])
    assert {"requestId", "status", "httpMethod", "resourcePath", "ip"} <= set(log_format)
    assert not [value for value in log_format.values() if BODY_FREE_CONTEXT.search(value)]


def test_admin_cors_allows_only_the_console_and_the_configured_origins(synthesized: Synthesized) -> None:
    preflight = methods(synthesized, _api_ids(synthesized)["admin"])[("OPTIONS", "/admin/products")]
    (response,) = preflight["Integration"]["IntegrationResponses"]
    # The first origin is the header's default, the template echoes any of the others that asks.
    default = render(response["ResponseParameters"]["method.response.header.Access-Control-Allow-Origin"])
    template = render(response["ResponseTemplates"]["application/json"])
    allowed = {default.strip("'"), *re.findall(r'\$origin == "([^"]+)"', template)}
    console = f"https://{{{synthesized.logical_id(synthesized.stack.edge.distribution)}.DomainName}}"
    assert allowed == {console, *synthesized.catalog.config.admin_allowed_origins}
    assert "*" not in json.dumps(response)
