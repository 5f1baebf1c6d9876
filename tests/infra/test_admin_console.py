"""The admin console on AWS: its bucket, its behaviours and CSP, the sign-in client, its config.json."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config
from pydantic import ValidationError

from admin_console.config import CALLBACK_PAGE, CONFIG_FILE, CONSOLE_PATH, STATIC_DIR, ConsoleConfig
from cdk.constructs.admin_console import CONSOLE_PATHS_SOURCE, config_document
from shared.data.images import S3ImageStorage
from tests.builders import parse_policy
from tests.infra.deployment import asset_paths
from tests.infra.support import PROD_DOMAIN, Synthesized, as_list, methods, render, role_statements

pytestmark = pytest.mark.infra

ACCOUNT = "123456789012"
PSEUDO = {"{AWS::AccountId}": ACCOUNT, "{AWS::Region}": "us-west-1", "{AWS::URLSuffix}": "amazonaws.com"}


def _distribution(synth: Synthesized) -> dict[str, Any]:
    config: dict[str, Any] = synth.properties(synth.stack.edge.distribution)["DistributionConfig"]
    return config


def _console_behaviours(synth: Synthesized) -> dict[str, dict[str, Any]]:
    return {
        behaviour["PathPattern"]: behaviour
        for behaviour in _distribution(synth)["CacheBehaviors"]
        if behaviour["PathPattern"].startswith(CONSOLE_PATH.rstrip("/"))
    }


def _distribution_domain(synth: Synthesized) -> str:
    return "{" + synth.logical_id(synth.stack.edge.distribution) + ".DomainName}"


def _csp(synth: Synthesized) -> dict[str, list[str]]:
    policy = synth.properties(synth.stack.console.node.find_child("SecurityHeaders"))
    value = policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    return parse_policy(render(value["ContentSecurityPolicy"]))


def _pseudo(text: str) -> str:
    for name, value in PSEUDO.items():
        text = text.replace(name, value)
    return text


def _client(synth: Synthesized) -> dict[str, Any]:
    return synth.properties(synth.stack.admin.user_pool_client)


def test_the_console_bucket_is_private_encrypted_versioned_ssl_only_and_logged(
    synthesized: Synthesized,
) -> None:
    bucket = synthesized.properties(synthesized.stack.console.bucket)
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (encryption,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    logs_id = synthesized.logical_id(synthesized.stack.access_logs.bucket)
    assert bucket["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": logs_id}
    policy = synthesized.properties(synthesized.stack.console.bucket.policy)  # type: ignore[arg-type]
    statements = policy["PolicyDocument"]["Statement"]
    denied = [s["Condition"] for s in statements if s["Effect"] == "Deny"]
    assert {"Bool": {"aws:SecureTransport": "false"}} in denied
    assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in denied


def test_only_this_distribution_may_read_the_console_files(synthesized: Synthesized) -> None:
    policy = synthesized.properties(synthesized.stack.console.bucket.policy)  # type: ignore[arg-type]
    allowed = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    (statement,) = allowed
    assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert statement["Action"] == "s3:GetObject"
    distribution = synthesized.logical_id(synthesized.stack.edge.distribution)
    assert f"distribution/{{{distribution}}}" in render(
        statement["Condition"]["StringEquals"]["AWS:SourceArn"]
    )


def test_console_paths_are_served_from_the_console_bucket_through_origin_access_control(
    synthesized: Synthesized,
) -> None:
    behaviours = _console_behaviours(synthesized)
    assert set(behaviours) == {"/console", "/console/*"}
    bucket = synthesized.logical_id(synthesized.stack.console.bucket)
    for behaviour in behaviours.values():
        assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
        assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
        (origin,) = [
            o for o in _distribution(synthesized)["Origins"] if o["Id"] == behaviour["TargetOriginId"]
        ]
        assert origin["DomainName"] == {"Fn::GetAtt": [bucket, "RegionalDomainName"]}
        assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
        oac = synthesized.resources[origin["OriginAccessControlId"]["Fn::GetAtt"][0]]["Properties"]
        assert oac["OriginAccessControlConfig"]["SigningBehavior"] == "always"
        headers = synthesized.logical_id(synthesized.stack.console.node.find_child("SecurityHeaders"))
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": headers}
        (association,) = behaviour["FunctionAssociations"]
        assert association["EventType"] == "viewer-request"
        function = synthesized.resources[association["FunctionARN"]["Fn::GetAtt"][0]]["Properties"]
        assert function["FunctionCode"] == CONSOLE_PATHS_SOURCE.read_text(encoding="utf-8")


def test_console_responses_carry_the_security_headers(synthesized: Synthesized) -> None:
    policy = synthesized.properties(synthesized.stack.console.node.find_child("SecurityHeaders"))
    headers = policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31_536_000
    assert headers["ContentTypeOptions"] == {"Override": True}
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"


def test_the_console_csp_allows_its_own_code_the_three_origins_it_calls_and_presigned_image_reads(
    synthesized: Synthesized,
) -> None:
    stack = synthesized.stack
    api = synthesized.logical_id(stack.admin.api)
    domain = synthesized.logical_id(stack.admin.sign_in_domain)
    images = f"https://{stack.config.prefix}-images-{{AWS::AccountId}}-{{AWS::Region}}.s3.{{AWS::URLSuffix}}"
    assert _csp(synthesized) == {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", images],
        "connect-src": [
            "'self'",
            f"https://{{{api}}}.execute-api.{{AWS::Region}}.{{AWS::URLSuffix}}",
            f"https://{{{domain}}}.auth.us-west-1.amazoncognito.com",
            images,
        ],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
    }


def test_the_csp_upload_origin_is_where_the_admin_api_presigns_uploads(synthesized: Synthesized) -> None:
    upload_origin = _pseudo(_csp(synthesized)["connect-src"][3])
    bucket = _pseudo(render(synthesized.stack.resolve(synthesized.stack.images.bucket_name)))
    client = boto3.client(
        "s3",
        region_name="us-west-1",
        aws_access_key_id="presign-only",
        aws_secret_access_key="presign-only",  # presigning is local: nothing is sent
        config=Config(signature_version="s3v4"),
    )
    form = S3ImageStorage(bucket, client).presigned_post("uploads/x", "image/png", 10, 60)
    url = urlsplit(form.url)
    assert upload_origin == f"{url.scheme}://{url.netloc}"


def _console_path(uri: str) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None, "node is not on PATH: install Node.js 20+ (the README's prerequisites)"
    script = (
        CONSOLE_PATHS_SOURCE.read_text(encoding="utf-8")
        + "\nconsole.log(JSON.stringify(handler(JSON.parse(process.argv[1]))));"
    )
    event = {"request": {"method": "GET", "uri": uri, "querystring": {}, "headers": {}}}
    completed = subprocess.run(
        [node, "-e", script, json.dumps(event)], capture_output=True, text=True, check=True, timeout=30
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def test_the_console_root_serves_index_html_and_the_bare_path_redirects_to_it() -> None:
    assert _console_path("/console/")["uri"] == "/console/index.html"
    redirect = _console_path("/console")
    assert redirect["statusCode"] == 301
    assert redirect["headers"]["location"]["value"] == "/console/"


@pytest.mark.parametrize("uri", ["/console/callback.html", "/console/app.js", "/console/config.json"])
def test_console_files_reach_the_bucket_by_their_own_path(uri: str) -> None:
    assert _console_path(uri)["uri"] == uri


def test_the_sign_in_client_uses_the_code_flow_only_without_a_secret(synthesized: Synthesized) -> None:
    client = _client(synthesized)
    assert client["GenerateSecret"] is False
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["AllowedOAuthScopes"] == ["openid", "email", "profile"]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]


def test_the_client_redirects_only_to_the_console_on_the_distribution_and_the_admin_origins(
    synthesized: Synthesized,
) -> None:
    client = _client(synthesized)
    domain = _distribution_domain(synthesized)
    extra = list(synthesized.catalog.config.admin_allowed_origins)
    assert [render(url) for url in client["CallbackURLs"]] == [
        f"https://{domain}/console/{CALLBACK_PAGE}",
        *[f"{origin}/console/{CALLBACK_PAGE}" for origin in extra],
    ]
    assert [render(url) for url in client["LogoutURLs"]] == [
        f"https://{domain}/console/",
        *[f"{origin}/console/" for origin in extra],
    ]


def test_with_a_custom_domain_the_console_signs_in_on_it_first(production: Synthesized) -> None:
    callbacks = [render(url) for url in _client(production)["CallbackURLs"]]
    assert callbacks[0] == f"https://{PROD_DOMAIN}/console/{CALLBACK_PAGE}"
    assert f"https://{_distribution_domain(production)}/console/{CALLBACK_PAGE}" in callbacks
    assert render(production.raw["Outputs"]["ConsoleUrl"]["Value"]) == f"https://{PROD_DOMAIN}/console/"


def test_the_hosted_ui_is_a_prefix_domain_of_the_admin_pool_unique_per_stage_and_account(
    synthesized: Synthesized,
) -> None:
    domain = synthesized.properties(synthesized.stack.admin.sign_in_domain)
    assert render(domain["Domain"]) == "catalog-dev-{AWS::AccountId}"
    assert domain["UserPoolId"] == {"Ref": synthesized.logical_id(synthesized.stack.admin.user_pool)}


def _deployment(synth: Synthesized) -> dict[str, Any]:
    (deployment,) = synth.of_type("Custom::CDKBucketDeployment").values()
    properties: dict[str, Any] = deployment["Properties"]
    return properties


def _deployed_config(synth: Synthesized) -> dict[str, Any]:
    deployment = _deployment(synth)
    assets = asset_paths(synth)
    for key, markers in zip(deployment["SourceObjectKeys"], deployment["SourceMarkers"], strict=True):
        source = assets[key] / CONFIG_FILE
        if source.exists():
            text = source.read_text(encoding="utf-8")
            for marker, value in markers.items():
                text = text.replace(marker, render(value))
            document: dict[str, Any] = json.loads(text)
            return document
    raise AssertionError(f"no source of the console deployment holds {CONFIG_FILE}")


def test_the_deployed_config_json_signs_in_with_the_pools_hosted_ui_and_client(
    synthesized: Synthesized,
) -> None:
    stack = synthesized.stack
    deployed = _deployed_config(synthesized)
    api = synthesized.logical_id(stack.admin.api)
    stage = synthesized.logical_id(stack.admin.api.deployment_stage)
    domain = _distribution_domain(synthesized)
    assert deployed == {
        "admin_api": f"https://{{{api}}}.execute-api.{{AWS::Region}}.{{AWS::URLSuffix}}/{{{stage}}}",
        "public_api": f"https://{domain}",
        "sign_in": {
            "mode": "cognito",
            "domain": f"https://{{{synthesized.logical_id(stack.admin.sign_in_domain)}}}"
            ".auth.us-west-1.amazoncognito.com/",
            "client_id": f"{{{synthesized.logical_id(stack.admin.user_pool_client)}}}",
            "redirect_uri": f"https://{domain}/console/{CALLBACK_PAGE}",
            "logout_uri": f"https://{domain}/console/",
            "scopes": ["openid", "email", "profile"],
        },
    }
    # What the browser reads is a valid document of the shared contract (references as host names).
    resolved = re.sub(
        r"\{([^{}\"]+)\}",
        lambda reference: "ref" + re.sub(r"[^a-z0-9]", "", reference.group(1).lower()),
        _pseudo(json.dumps(deployed)),
    )
    assert ConsoleConfig.model_validate_json(resolved).sign_in.mode == "cognito"


def test_the_static_files_are_deployed_as_they_are_under_console_and_invalidated(
    synthesized: Synthesized,
) -> None:
    deployment = _deployment(synthesized)
    assets = asset_paths(synthesized)
    static_sources = [
        assets[key] for key in deployment["SourceObjectKeys"] if (assets[key] / "index.html").exists()
    ]
    (static,) = static_sources
    shipped = {path.relative_to(static).as_posix() for path in static.rglob("*") if path.is_file()}
    expected = {
        path.relative_to(STATIC_DIR).as_posix()
        for path in STATIC_DIR.rglob("*")
        if path.is_file() and path.name != CONFIG_FILE
    }
    assert shipped == expected
    assert deployment["DestinationBucketName"] == {
        "Ref": synthesized.logical_id(synthesized.stack.console.bucket)
    }
    assert deployment["DestinationBucketKeyPrefix"] == "console/"
    assert deployment["DistributionPaths"] == ["/console/*"]
    assert (
        deployment["SystemMetadata"]["cache-control"] == "public, max-age=0, must-revalidate, s-maxage=86400"
    )


def test_the_deployment_helper_touches_only_the_assets_the_console_bucket_and_invalidations(
    synthesized: Synthesized,
) -> None:
    (role,) = synthesized.helper_role_ids
    console = synthesized.logical_id(synthesized.stack.console.bucket)
    resources = set()
    for statement in role_statements(synthesized, role):
        for resource in as_list(statement["Resource"]):
            rendered = render(resource)
            resources.add(rendered)
            if rendered == "*":
                assert set(as_list(statement["Action"])) == {
                    "cloudfront:CreateInvalidation",
                    "cloudfront:GetInvalidation",
                }
    assets = 'arn:aws:s3:::{"Fn::Sub": "cdk-hnb659fds-assets-${AWS::AccountId}-us-west-1"}'
    assert resources == {"*", assets, f"{assets}/*", f"{{{console}.Arn}}", f"{{{console}.Arn}}/*"}


def test_the_deployment_helper_logs_into_an_encrypted_group_of_the_stage(synthesized: Synthesized) -> None:
    handler = synthesized.properties(synthesized.stack.console.deployment_handler)
    group = synthesized.resources[handler["LoggingConfig"]["LogGroup"]["Ref"]]["Properties"]
    assert group["LogGroupName"] == "/catalog/dev/lambda/console-deployment"
    assert group["KmsKeyId"] == {
        "Fn::GetAtt": [synthesized.logical_id(synthesized.stack.log_encryption.key), "Arn"]
    }


def test_the_admin_api_answers_the_console_origin_first(synthesized: Synthesized) -> None:
    stack = synthesized.stack
    origin = f"https://{_distribution_domain(synthesized)}"
    api = synthesized.logical_id(stack.admin.api)
    preflight = methods(synthesized, api)[("OPTIONS", "/admin/products")]
    (response,) = preflight["Integration"]["IntegrationResponses"]
    headers = response["ResponseParameters"]
    assert render(headers["method.response.header.Access-Control-Allow-Origin"]) == f"'{origin}'"
    # The other origins: the preflight's template echoes whichever of them asked.
    template = render(response["ResponseTemplates"]["application/json"])
    for allowed in stack.config.admin_allowed_origins:
        assert f'$origin == "{allowed}"' in template
    gateway = [
        resource["Properties"]["ResponseParameters"]
        for resource in synthesized.of_type("AWS::ApiGateway::GatewayResponse").values()
        if resource["Properties"]["RestApiId"] == {"Ref": api}
    ]
    assert gateway
    assert {render(headers["gatewayresponse.header.Access-Control-Allow-Origin"]) for headers in gateway} == {
        f"'{origin}'"
    }


def test_admin_functions_answer_cors_for_the_console_and_the_configured_origins(
    synthesized: Synthesized,
) -> None:
    origin = f"https://{_distribution_domain(synthesized)}"
    expected = ",".join([origin, *synthesized.catalog.config.admin_allowed_origins])
    for function in synthesized.stack.admin.functions.values():
        variables = synthesized.properties(function.function)["Environment"]["Variables"]
        assert render(variables["ADMIN_ALLOWED_ORIGINS"]) == expected


def test_browsers_on_the_console_may_post_uploads_to_the_images_bucket(synthesized: Synthesized) -> None:
    (rule,) = synthesized.properties(synthesized.stack.images.bucket)["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedMethods"] == ["POST"]
    assert [render(origin) for origin in rule["AllowedOrigins"]] == [
        f"https://{_distribution_domain(synthesized)}",
        *synthesized.catalog.config.admin_allowed_origins,
    ]


def test_the_console_url_is_an_output(synthesized: Synthesized) -> None:
    url = render(synthesized.raw["Outputs"]["ConsoleUrl"]["Value"])
    assert url == f"https://{_distribution_domain(synthesized)}/console/"


def test_config_document_keeps_references_and_refuses_what_the_contract_refuses() -> None:
    token = "${Token[TOKEN.42]}"
    values: dict[str, Any] = {
        "admin_api": f"https://{token}.execute-api.us-west-1.amazonaws.com/dev",
        "public_api": f"https://{token}",
        "sign_in": {
            "mode": "cognito",
            "domain": f"https://{token}.auth.us-west-1.amazoncognito.com",
            "client_id": token,
            "redirect_uri": f"https://{token}/console/callback.html",
            "logout_uri": f"https://{token}/console/",
        },
    }
    document = config_document(values)
    assert document["sign_in"]["client_id"] == token
    assert document["sign_in"]["redirect_uri"] == f"https://{token}/console/callback.html"
    with pytest.raises(ValidationError, match="client_id"):
        config_document({**values, "sign_in": {**values["sign_in"], "client_id": ""}})
    with pytest.raises(ValidationError, match="redirect_uri"):
        config_document({**values, "sign_in": {**values["sign_in"], "redirect_uri": "not a url"}})
