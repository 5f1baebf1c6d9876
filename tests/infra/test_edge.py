"""CloudFront: HTTPS only, the public cache key, the API key to the origin, OAC for images, logging."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any
from urllib.parse import parse_qsl

import pytest

from cdk.constructs.edge import NORMALIZE_QUERY_SOURCE
from shared.routes import (
    PUBLIC_QUERY_DEFAULTS,
    PUBLIC_QUERY_FREE_TEXT,
    PUBLIC_QUERY_PARAMETERS,
    canonical_public_query,
)
from tests.infra.support import PROD_CERTIFICATE, PROD_DOMAIN, Synthesized

pytestmark = pytest.mark.infra


def _distribution(synth: Synthesized) -> dict[str, Any]:
    config: dict[str, Any] = synth.properties(synth.stack.edge.distribution)["DistributionConfig"]
    return config


def _origin(config: dict[str, Any], target_id: str) -> dict[str, Any]:
    origins: list[dict[str, Any]] = [origin for origin in config["Origins"] if origin["Id"] == target_id]
    (origin,) = origins
    return origin


def test_viewers_are_redirected_to_https_on_every_behaviour(synthesized: Synthesized) -> None:
    config = _distribution(synthesized)
    behaviours = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]
    assert {behaviour["ViewerProtocolPolicy"] for behaviour in behaviours} == {"redirect-to-https"}


def test_custom_origins_are_reached_over_tls_12_only(synthesized: Synthesized) -> None:
    for origin in _distribution(synthesized)["Origins"]:
        if "CustomOriginConfig" in origin:
            assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
            assert origin["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]


def test_a_custom_domain_enforces_tls_12_2021_for_viewers(production: Synthesized) -> None:
    config = _distribution(production)
    assert config["Aliases"] == [PROD_DOMAIN]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": PROD_CERTIFICATE,
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "SslSupportMethod": "sni-only",
    }


def test_the_default_behaviour_serves_the_public_api_for_reads_only(synthesized: Synthesized) -> None:
    behaviour = _distribution(synthesized)["DefaultCacheBehavior"]
    assert behaviour["AllowedMethods"] == ["GET", "HEAD", "OPTIONS"]
    assert behaviour["CachedMethods"] == ["GET", "HEAD"]
    origin = _origin(_distribution(synthesized), behaviour["TargetOriginId"])
    assert ".execute-api." in json.dumps(origin["DomainName"])


def test_cloudfront_sends_the_origin_api_key_from_the_secret(synthesized: Synthesized) -> None:
    config = _distribution(synthesized)
    origin = _origin(config, config["DefaultCacheBehavior"]["TargetOriginId"])
    secret_id = synthesized.logical_id(synthesized.stack.public.origin_key_secret)
    (header,) = origin["OriginCustomHeaders"]
    assert header["HeaderName"] == "x-api-key"
    assert header["HeaderValue"] == {
        "Fn::Join": ["", ["{{resolve:secretsmanager:", {"Ref": secret_id}, ":SecretString:::}}"]]
    }


def _policy(synth: Synthesized, resource_type: str, reference: dict[str, Any], key: str) -> dict[str, Any]:
    policy: dict[str, Any] = synth.resources[reference["Ref"]]["Properties"][key]
    assert synth.resources[reference["Ref"]]["Type"] == resource_type
    return policy


def test_the_cache_key_is_the_path_and_the_listing_and_discovery_parameters_only(
    synthesized: Synthesized,
) -> None:
    behaviour = _distribution(synthesized)["DefaultCacheBehavior"]
    policy = _policy(
        synthesized, "AWS::CloudFront::CachePolicy", behaviour["CachePolicyId"], "CachePolicyConfig"
    )
    key = policy["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["QueryStringsConfig"]["QueryStringBehavior"] == "whitelist"
    assert sorted(key["QueryStringsConfig"]["QueryStrings"]) == [
        "availability",
        "category",
        "cursor",
        "limit",
        "max_price",
        "min_price",
        "q",
        "sort",
    ]
    assert key["HeadersConfig"] == {"HeaderBehavior": "none"}
    assert key["CookiesConfig"] == {"CookieBehavior": "none"}
    assert key["EnableAcceptEncodingGzip"] is True
    assert key["EnableAcceptEncodingBrotli"] is True


def test_ttls_follow_the_origin_cache_control_up_to_the_configured_ceiling(synthesized: Synthesized) -> None:
    behaviour = _distribution(synthesized)["DefaultCacheBehavior"]
    policy = _policy(
        synthesized, "AWS::CloudFront::CachePolicy", behaviour["CachePolicyId"], "CachePolicyConfig"
    )
    assert (policy["MinTTL"], policy["DefaultTTL"]) == (0, 0)
    assert policy["MaxTTL"] == synthesized.catalog.config.cache.edge_max_ttl


def test_the_origin_never_receives_authorization_or_cookies(synthesized: Synthesized) -> None:
    behaviour = _distribution(synthesized)["DefaultCacheBehavior"]
    policy = _policy(
        synthesized,
        "AWS::CloudFront::OriginRequestPolicy",
        behaviour["OriginRequestPolicyId"],
        "OriginRequestPolicyConfig",
    )
    assert policy["HeadersConfig"] == {"HeaderBehavior": "none"}
    assert policy["CookiesConfig"] == {"CookieBehavior": "none"}
    assert policy["QueryStringsConfig"] == {"QueryStringBehavior": "none"}


def test_images_come_from_the_private_bucket_through_origin_access_control(synthesized: Synthesized) -> None:
    config = _distribution(synthesized)
    (behaviour,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/images/*"]
    assert behaviour["AllowedMethods"] == ["GET", "HEAD"]
    origin = _origin(config, behaviour["TargetOriginId"])
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    oac = synthesized.resources[origin["OriginAccessControlId"]["Fn::GetAtt"][0]]["Properties"]
    assert oac["OriginAccessControlConfig"]["OriginAccessControlOriginType"] == "s3"
    assert oac["OriginAccessControlConfig"]["SigningBehavior"] == "always"


def test_security_headers_are_added_to_every_response(synthesized: Synthesized) -> None:
    behaviours = [
        _distribution(synthesized)["DefaultCacheBehavior"],
        *_distribution(synthesized)["CacheBehaviors"],
    ]
    # The API and images share one policy; the admin console has its own (test_admin_console.py).
    references = {json.dumps(behaviour["ResponseHeadersPolicyId"]) for behaviour in behaviours}
    assert len(references) == 2
    for reference in references:
        policy = _policy(
            synthesized,
            "AWS::CloudFront::ResponseHeadersPolicy",
            json.loads(reference),
            "ResponseHeadersPolicyConfig",
        )
        headers = policy["SecurityHeadersConfig"]
        assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31_536_000
        assert headers["ContentTypeOptions"]["Override"] is True
        assert headers["FrameOptions"]["FrameOption"] == "DENY"
        assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
        assert "default-src 'none'" in json.dumps(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])


def test_api_and_image_responses_may_run_nothing(synthesized: Synthesized) -> None:
    config = _distribution(synthesized)
    (images,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/images/*"]
    for behaviour in (config["DefaultCacheBehavior"], images):
        policy = _policy(
            synthesized,
            "AWS::CloudFront::ResponseHeadersPolicy",
            behaviour["ResponseHeadersPolicyId"],
            "ResponseHeadersPolicyConfig",
        )
        csp = policy["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
        assert csp == "default-src 'none'; frame-ancestors 'none'"


def test_standard_logs_go_to_the_access_log_bucket(synthesized: Synthesized) -> None:
    logging = _distribution(synthesized)["Logging"]
    bucket_id = synthesized.logical_id(synthesized.stack.access_logs.bucket)
    assert logging["Bucket"] == {"Fn::GetAtt": [bucket_id, "RegionalDomainName"]}
    assert logging["IncludeCookies"] is False


def test_the_query_normaliser_runs_on_viewer_requests_of_the_api(synthesized: Synthesized) -> None:
    (association,) = _distribution(synthesized)["DefaultCacheBehavior"]["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    function = synthesized.resources[association["FunctionARN"]["Fn::GetAtt"][0]]["Properties"]
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["FunctionCode"] == NORMALIZE_QUERY_SOURCE.read_text(encoding="utf-8")


def test_the_query_normaliser_keeps_exactly_the_public_query_parameters_in_canonical_order() -> None:
    # The CloudFront Function is JavaScript deployed as written; this is the one check that ties its
    # copy of the list to shared.routes.PUBLIC_QUERY_PARAMETERS.
    source = NORMALIZE_QUERY_SOURCE.read_text(encoding="utf-8")
    (allowed,) = re.findall(r"^var ALLOWED = (\[[^\]]*\]);$", source, flags=re.MULTILINE)

    assert tuple(json.loads(allowed.replace("'", '"'))) == PUBLIC_QUERY_PARAMETERS
    (defaults,) = re.findall(r"^var DEFAULTS = (\{[^}]*\});$", source, flags=re.MULTILINE)
    assert json.loads(defaults) == PUBLIC_QUERY_DEFAULTS
    (free_text,) = re.findall(r"^var FREE_TEXT = (\[[^\]]*\]);$", source, flags=re.MULTILINE)
    assert tuple(json.loads(free_text.replace("'", '"'))) == PUBLIC_QUERY_FREE_TEXT


def _normalise(querystring: dict[str, Any]) -> dict[str, Any]:
    node = shutil.which("node")
    # Node.js is a prerequisite of the whole suite (the CDK runs on it), so its absence is a failure.
    assert node is not None, "node is not on PATH: install Node.js 20+ (the README's prerequisites)"
    script = (
        NORMALIZE_QUERY_SOURCE.read_text(encoding="utf-8")
        + "\nconsole.log(JSON.stringify(handler(JSON.parse(process.argv[1])).querystring));"
    )
    event = {"request": {"method": "GET", "uri": "/products", "querystring": querystring, "headers": {}}}
    completed = subprocess.run(
        [node, "-e", script, json.dumps(event)], capture_output=True, text=True, check=True, timeout=30
    )
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def test_equivalent_query_strings_become_one_canonical_cache_key() -> None:
    first = _normalise(
        {"limit": {"value": "20"}, "utm_source": {"value": "mail"}, "category": {"value": "toys"}}
    )
    second = _normalise({"category": {"value": "toys"}, "limit": {"value": "20"}, "fbclid": {"value": "x"}})
    assert first == second == {"category": {"value": "toys"}}
    assert list(_normalise({"limit": {"value": "5"}, "category": {"value": "toys"}})) == ["category", "limit"]


@pytest.mark.parametrize(
    "query",
    [
        "sort=newest&limit=20&category=toys",
        "q=%20Mug%20CE%20&sort=price_desc&utm=1",
        "q=%20%20&availability=in_stock&max_price=30&min_price=10.5",
        "sort=name&q=Cr%C3%A8me&cursor=abc.def&limit=7",
        "limit=20&sort=newest",
        "q=TENT&q=Mug",
    ],
)
def test_the_viewer_request_function_normalises_exactly_as_the_shared_definition(query: str) -> None:
    pairs = parse_qsl(query, keep_blank_values=True)
    querystring: dict[str, Any] = {}
    for name, value in pairs:
        entry = querystring.setdefault(name, {"value": value, "multiValue": []})
        entry["multiValue"].append({"value": value})
    expected = {name: {"value": value} for name, value in canonical_public_query(pairs)}
    normalised = _normalise(querystring)
    assert normalised == expected
    assert list(normalised) == list(expected)


def test_a_repeated_parameter_keeps_its_last_value_as_the_api_would() -> None:
    repeated = {"value": "1", "multiValue": [{"value": "1"}, {"value": "2"}]}
    assert _normalise({"cursor": repeated}) == {"cursor": {"value": "2"}}
