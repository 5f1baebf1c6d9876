"""Fixtures every test tier shares: a clean AWS-less environment and moto resources."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Before any handler module is imported: no real credentials, no X-Ray daemon, one region.
os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "catalog",
        "POWERTOOLS_METRICS_NAMESPACE": "Catalog",
        "POWERTOOLS_DEV": "false",
    }
)
for _variable in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(_variable, None)

from moto import mock_aws  # noqa: E402

from local.moto_fidelity import make_moto_faithful  # noqa: E402
from local.resources import Resources, create_resources, function_environment  # noqa: E402
from tests.builders import reset_process_caches  # noqa: E402

make_moto_faithful()

TESTS_DIR = Path(__file__).parent
# Tiers whose tests share one costly session fixture (the synthesized templates, a running local
# runtime): under pytest-xdist each runs whole on one worker, so that fixture is built once, while
# the unit and handler tests spread over the workers that are free.
SESSION_TIERS = frozenset({"infra", "e2e", "browser"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put every test of a session tier into that tier's xdist group (``--dist loadgroup``)."""
    for item in items:
        tier = item.path.relative_to(TESTS_DIR).parts[0]
        if tier in SESSION_TIERS:
            item.add_marker(pytest.mark.xdist_group(tier))


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Resources]:
    """In-process moto with the stack's tables, bucket, topic and secret, and the functions' env."""
    with mock_aws():
        resources = create_resources("us-west-1")
        for name, value in function_environment(resources, images_base_url="https://cdn.test").items():
            monkeypatch.setenv(name, value)
        reset_process_caches()
        yield resources
        reset_process_caches()
