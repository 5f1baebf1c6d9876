"""The admin console's Content-Security-Policy: the directives the app needs, and only those."""

from __future__ import annotations

import pytest

from admin_console.csp import content_security_policy, origin_of
from tests.builders import parse_policy

ADMIN_API = "https://abc123.execute-api.us-west-1.amazonaws.com"
SIGN_IN = "https://catalog-dev-123456789012.auth.us-west-1.amazoncognito.com"
UPLOADS = "https://catalog-dev-images-123456789012-us-west-1.s3.amazonaws.com"


def _policy(**overrides: str) -> str:
    origins = {"admin_api_origin": ADMIN_API, "sign_in_origin": SIGN_IN, "upload_origin": UPLOADS}
    return content_security_policy(**{**origins, **overrides})


def test_the_policy_has_exactly_the_directives_the_console_needs() -> None:
    assert parse_policy(_policy()) == {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", UPLOADS],
        "connect-src": ["'self'", ADMIN_API, SIGN_IN, UPLOADS],
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "frame-ancestors": ["'none'"],
    }


def test_nothing_inline_or_evaluated_is_ever_allowed() -> None:
    policy = _policy()
    assert "unsafe" not in policy
    assert "*" not in policy


def test_an_origin_given_twice_is_listed_once() -> None:
    connect = parse_policy(_policy(upload_origin=ADMIN_API))["connect-src"]
    assert connect == ["'self'", ADMIN_API, SIGN_IN]


@pytest.mark.parametrize(
    ("setting", "value", "problem"),
    [
        ("admin_api_origin", "", "empty"),
        ("sign_in_origin", "https://a.example; script-src *", "not one origin"),
        ("upload_origin", "https://a.example https://b.example", "not one origin"),
        ("upload_origin", "'unsafe-inline'", "not one origin"),
        ("admin_api_origin", "https://a.example/dev/", "trailing slash"),
    ],
)
def test_a_value_that_is_not_one_origin_is_refused_with_its_name(
    setting: str, value: str, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem) as raised:
        _policy(**{setting: value})
    assert setting in str(raised.value)


def test_cloudformation_tokens_pass_through_as_opaque_origins() -> None:
    token = "https://${Token[TOKEN.812]}.execute-api.${Token[AWS.Region.9]}.${Token[AWS.URLSuffix.3]}"
    assert parse_policy(_policy(admin_api_origin=token))["connect-src"][1] == token


def test_the_dev_token_console_connects_to_no_sign_in_service() -> None:
    connect = parse_policy(content_security_policy(admin_api_origin=ADMIN_API, upload_origin=UPLOADS))
    assert connect["connect-src"] == ["'self'", ADMIN_API, UPLOADS]


def test_origin_of_refuses_relative_urls() -> None:
    assert origin_of("http://127.0.0.1:4566/bucket?x=1") == "http://127.0.0.1:4566"
    with pytest.raises(ValueError, match="absolute"):
        origin_of("/admin")
