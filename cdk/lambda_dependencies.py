"""The functions' third-party packages, built from ``uv.lock`` for Lambda without Docker.

The functions import Powertools, pydantic, aws-xray-sdk and boto3. All of them, with every
transitive dependency, come from one layer built from the lockfile the tests ran against, so what
Lambda imports is what was tested (docs/decisions.md: "One dependency layer built from uv.lock").
``uv export`` turns the lock's runtime group into exact pins and ``uv pip install --target``
fetches the wheels for the functions' platform (Linux arm64, the runtime's Python), binary wheels
only: nothing is compiled, so no Docker is needed.

Builds are cached under ``build/lambda-layers/<key>``; the key hashes the pins and the target, so a
changed lock builds a new layer and an unchanged one is never rebuilt (nor re-fetched: tests and
``cdk synth`` stay offline after ``make install``). The zip is written with fixed timestamps and
order, so the same pins always give the same asset hash and an unchanged layer is not redeployed.

``python -m cdk.lambda_dependencies`` builds the Lambda layer and the host copy the deploy
rehearsal imports (``make install`` runs it).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from uv import find_uv_bin

from cdk.config import REPO_ROOT

LAYERS_DIR = REPO_ROOT / "build" / "lambda-layers"
# Lambda extracts a layer into /opt and puts /opt/python on the import path of Python runtimes.
LAYER_PYTHON_DIR = "python"
LAYER_ZIP = "layer.zip"
# Console scripts (the top-level bin/) and caches are useless on Lambda: /opt is read-only and
# nothing runs the packages' command-line entry points there.
_SKIPPED_TOP_LEVEL = frozenset({"bin"})
_SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc")
# uv's names for the platforms Lambda runs; Python 3.12+ runtimes run on Amazon Linux 2023 (glibc 2.34).
_UV_PLATFORMS = {"arm64": "aarch64-manylinux_2_34", "x86_64": "x86_64-manylinux_2_34"}
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class DependencyBuildError(RuntimeError):
    """uv could not export the lock or install its pins for the target."""


@dataclass(frozen=True)
class Target:
    """Where the packages will be imported: a Lambda runtime and architecture, or this interpreter."""

    python_version: str
    platform: str | None  # uv's --python-platform; None: the interpreter that runs this build

    @classmethod
    def lambda_function(cls, runtime_name: str, architecture_name: str) -> Target:
        """The target of a function with ``runtime_name`` (``python3.13``) on ``architecture_name``."""
        if architecture_name not in _UV_PLATFORMS:
            raise DependencyBuildError(f"no wheel platform known for the architecture {architecture_name!r}")
        python_version = runtime_name.removeprefix("python")
        return cls(python_version=python_version, platform=_UV_PLATFORMS[architecture_name])

    @classmethod
    def host(cls) -> Target:
        """This interpreter: the rehearsal's stand-in for Lambda's (see ``tests/infra/rehearsal.py``)."""
        return cls(python_version=f"{sys.version_info.major}.{sys.version_info.minor}", platform=None)

    @property
    def label(self) -> str:
        """A short readable name used in directory names."""
        return f"py{self.python_version}-{self.platform or 'host'}"


def _uv(*arguments: str, cwd: Path) -> str:
    result = subprocess.run(  # noqa: S603 - a fixed executable and arguments built here
        [find_uv_bin(), *arguments], cwd=cwd, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise DependencyBuildError(f"uv {' '.join(arguments[:2])} failed:\n{result.stderr.strip()}")
    return result.stdout


def locked_requirements(repo_root: Path = REPO_ROOT) -> str:
    """The runtime dependencies of ``uv.lock`` (no dev group) as exact pins, one per line.

    ``--frozen`` reads the lock as it is: a lock out of date with ``pyproject.toml`` is a failure of
    ``uv sync --frozen`` already, and the layer must never be resolved afresh.
    """
    return _uv(
        "export",
        "--frozen",
        "--no-dev",
        "--no-emit-project",
        "--no-hashes",
        "--no-header",
        "--no-annotate",
        cwd=repo_root,
    )


def _key(requirements: str, target: Target) -> str:
    # This module's own source is part of the key: a change to how layers are built must not be
    # hidden by a layer cached by the previous build steps.
    builder = Path(__file__).read_bytes()
    digest = hashlib.sha256(f"{target}\n{requirements}".encode() + builder).hexdigest()
    return f"{target.label}-{digest[:16]}"


def site_packages(target: Target, repo_root: Path = REPO_ROOT, layers_dir: Path = LAYERS_DIR) -> Path:
    """The directory holding the locked packages installed for ``target`` (built if missing)."""
    requirements = locked_requirements(repo_root)
    built = layers_dir / _key(requirements, target)
    if not (built / LAYER_PYTHON_DIR).is_dir():
        _install(requirements, target, built, repo_root)
        # Builds for an older lock (or builder) are never used again; each holds tens of MB.
        for stale in layers_dir.glob(f"{target.label}-*"):
            if stale != built:
                shutil.rmtree(stale, ignore_errors=True)
    return built / LAYER_PYTHON_DIR


def layer_zip(target: Target, repo_root: Path = REPO_ROOT, layers_dir: Path = LAYERS_DIR) -> Path:
    """The layer archive for ``target``: the locked packages under ``python/`` (built if missing)."""
    packages = site_packages(target, repo_root, layers_dir)
    archive = packages.parent / LAYER_ZIP
    if not archive.is_file():
        write_layer_zip(packages, archive)
    return archive


def _install(requirements: str, target: Target, destination: Path, repo_root: Path) -> None:
    layers_dir = destination.parent
    layers_dir.mkdir(parents=True, exist_ok=True)
    # Built beside the destination and renamed into place, so an interrupted build leaves nothing
    # that looks finished and two concurrent builds cannot mix their files.
    scratch = Path(tempfile.mkdtemp(prefix=".building-", dir=layers_dir))
    try:
        pins = scratch / "requirements.txt"
        pins.write_text(requirements, encoding="utf-8")
        platform = (
            ["--python-platform", target.platform, "--python-version", target.python_version]
            if target.platform
            else ["--python", sys.executable]
        )
        # --no-deps: the export is already the whole locked closure; nothing may be resolved anew.
        _uv(
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--target",
            str(scratch / "install"),
            *platform,
            "--requirement",
            str(pins),
            cwd=repo_root,
        )
        _drop_top_level(scratch / "install", _SKIPPED_TOP_LEVEL)
        shutil.copytree(scratch / "install", scratch / "layer" / LAYER_PYTHON_DIR, ignore=_SKIPPED)
        (scratch / "layer" / "requirements.txt").write_text(requirements, encoding="utf-8")
        try:
            os.replace(scratch / "layer", destination)
        except OSError:
            if not (destination / LAYER_PYTHON_DIR).is_dir():  # else another build finished first
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _drop_top_level(installed: Path, names: frozenset[str]) -> None:
    """Remove the top-level folders ``names`` and their entries in the distributions' RECORD files.

    RECORD must list what is installed; it also carries the hash of each console script, whose
    shebang names the building interpreter's path, which would make the layer differ per machine.
    """
    for name in names:
        shutil.rmtree(installed / name, ignore_errors=True)
    for record in installed.glob("*.dist-info/RECORD"):
        lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if line.split("/", 1)[0] not in names]
        record.write_text("".join(kept), encoding="utf-8")


def write_layer_zip(packages: Path, archive: Path) -> None:
    """Zip ``packages`` into ``archive`` under ``python/``, byte-identical for identical files.

    Timestamps are fixed and entries sorted, so the archive (and CDK's asset hash of it) depends
    on the files' names, contents and executable bits only.
    """
    scratch = archive.with_name(f".{archive.name}.{os.getpid()}")
    with zipfile.ZipFile(scratch, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as bundle:
        for path in sorted(packages.rglob("*")):
            if path.is_dir():
                continue
            entry = zipfile.ZipInfo(str(Path(LAYER_PYTHON_DIR) / path.relative_to(packages)), _FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            bundle.writestr(entry, path.read_bytes())
    os.replace(scratch, archive)


def main() -> None:
    """Build the Lambda layer of the stack's functions and the host copy for the rehearsal."""
    from cdk.constructs.function import ARCHITECTURE, RUNTIME  # jsii starts only here

    archive = layer_zip(Target.lambda_function(RUNTIME.name, ARCHITECTURE.name))
    host = site_packages(Target.host())
    print(f"Lambda dependency layer: {archive.relative_to(REPO_ROOT)} ({archive.stat().st_size // 1024} KiB)")
    print(f"Host copy for the deploy rehearsal: {host.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
