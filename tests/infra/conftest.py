"""One synthesized template per test session (plus one production variant), shared by every test.

Synthesis runs the real app builder, cdk-nag gate included, into a temporary cloud assembly; the
fixtures hand out the constructs, the assertions ``Template`` and the raw template dict, so tests
can name resources by construct instead of by hashed logical id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

# First import of aws_cdk: support.py silences jsii's Node version banner before the runtime starts.
from tests.infra.support import ALERT_EMAIL, PROD_CERTIFICATE, PROD_DOMAIN, Synthesized, synthesize

if TYPE_CHECKING:
    from aws_cdk.assertions import Template


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The dev stack as ``make synth`` builds it, with an alert e-mail so the optional parts exist."""
    return synthesize(tmp_path_factory.mktemp("cdk-dev"), {"stage": "dev", "alert_email": ALERT_EMAIL})


@pytest.fixture(scope="session")
def production(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The prod stack, with a custom domain: retention, protection and the TLS floor differ."""
    return synthesize(
        tmp_path_factory.mktemp("cdk-prod"),
        {"stage": "prod", "domain_name": PROD_DOMAIN, "certificate_arn": PROD_CERTIFICATE},
    )


@pytest.fixture(scope="session")
def template(synthesized: Synthesized) -> Template:
    """The dev template as a CDK assertions ``Template``."""
    return synthesized.template


@pytest.fixture(scope="session")
def raw_template(synthesized: Synthesized) -> dict[str, Any]:
    """The dev template as a plain dict."""
    return synthesized.raw
