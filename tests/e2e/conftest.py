"""One local runtime per test session: started as a subprocess, stopped with SIGTERM at the end."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.e2e.support import STOP_TIMEOUT, LocalCatalog, start_catalog


@pytest.fixture(scope="session")
def catalog() -> Iterator[LocalCatalog]:
    """The running catalog (seeded); its shutdown on SIGTERM is checked when the session ends."""
    running = start_catalog()
    yield running
    code, seconds = running.stop()
    assert code == 0, f"the runtime exited with {code}"
    assert seconds < STOP_TIMEOUT


@pytest.fixture(scope="session")
def cloud(catalog: LocalCatalog) -> dict[str, Any]:
    """boto3 clients on the runtime's AWS endpoint (the e2e tests' own view of "the cloud")."""
    return {
        service: boto3.client(service, region_name="us-west-1", endpoint_url=catalog.aws_endpoint)
        for service in ("dynamodb", "s3", "sns", "sqs")
    }
