"""The one code asset every function shares: the runtime packages of the repository, nothing else.

Third-party code comes from the dependency layer built from ``uv.lock``
(:mod:`cdk.lambda_dependencies`), so the asset is plain Python copied from the repository: no
platform-specific wheels. It is staged into a fresh directory rather than filtered in place, so
CDK never walks ``.venv`` or ``cdk.out`` (hundreds of megabytes) just to exclude them.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from cdk.config import REPO_ROOT

RUNTIME_PACKAGES = ("shared", "commands", "queries", "projectors")
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", "tests", "test_*.py", "*_test.py", ".*")


def stage_lambda_source(repo_root: Path = REPO_ROOT, packages: tuple[str, ...] = RUNTIME_PACKAGES) -> Path:
    """Copy the runtime packages into a new temporary directory and return it.

    CDK fingerprints and copies the directory into the cloud assembly while the stack is being
    built, so the directory is only needed until the process exits.
    """
    staging = Path(tempfile.mkdtemp(prefix="catalog-lambda-"))
    atexit.register(shutil.rmtree, staging, ignore_errors=True)
    for package in packages:
        source = repo_root / package
        if source.is_dir():
            shutil.copytree(source, staging / package, ignore=_IGNORED)
    return staging
