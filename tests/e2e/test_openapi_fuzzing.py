"""schemathesis fuzzes both APIs on the local runtime from the OpenAPI document the runtime serves.

Coverage, fuzzing and stateful phases with every check schemathesis has, a fixed seed and fixed
example counts (``schemathesis.toml``); any failure or warning fails the test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.support import REPO_ROOT, LocalCatalog, start_catalog

pytestmark = pytest.mark.e2e

SCHEMATHESIS = Path(sys.executable).parent / "st"
CONFIG = REPO_ROOT / "schemathesis.toml"
# The bound on one run; with one worker it takes about a minute on this machine.
TIMEOUT_SECONDS = 300
# The one operation the fuzzer cannot give data (see schemathesis.toml): images come from S3 uploads.
WITHOUT_TEST_DATA = ["DELETE /admin/products/{id}/images/{image_id}"]


def _operations_without_test_data(output: str) -> list[str]:
    lines = output.splitlines()
    starts = [index for index, line in enumerate(lines) if line.startswith("Missing test data:")]
    found: list[str] = []
    for start in starts:
        for line in lines[start + 1 :]:
            if line.strip() and not line.startswith("  - "):
                break
            if line.startswith("  - "):
                found.append(line.removeprefix("  - ").strip())
    return found


@pytest.fixture(scope="module")
def fuzzed() -> Iterator[LocalCatalog]:
    """A runtime of its own: fuzzing creates, changes and deletes products of the demo catalog."""
    running = start_catalog()
    yield running
    running.stop()


def test_schemathesis_finds_no_failure_and_no_warning_in_either_api(
    fuzzed: LocalCatalog, tmp_path: Path
) -> None:
    completed = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(CONFIG),
            "run",
            f"{fuzzed.url}/openapi.json",
            "--url",
            fuzzed.url,
            "--checks",
            "all",
            "--phases",
            "coverage,fuzzing,stateful",
            "--no-color",
        ],
        env={**os.environ, "CATALOG_ADMIN_TOKEN": fuzzed.token},
        cwd=tmp_path,  # reports and caches stay out of the repository
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )

    summary = completed.stdout[-8000:]
    assert completed.returncode == 0, summary
    assert "Seed: 20261202" in summary
    assert "Failures:" not in summary, summary
    assert _operations_without_test_data(completed.stdout) == WITHOUT_TEST_DATA
