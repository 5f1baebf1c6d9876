"""The dependency layer's build: deterministic archives, Lambda's layout, known platforms only."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from cdk.lambda_dependencies import LAYER_PYTHON_DIR, DependencyBuildError, Target, write_layer_zip

pytestmark = pytest.mark.infra


def _packages(root: Path, mtime: int) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("VALUE = 1\n", encoding="utf-8")
    (root / "pkg-1.0.dist-info").mkdir()
    (root / "pkg-1.0.dist-info" / "METADATA").write_text("Name: pkg\nVersion: 1.0\n", encoding="utf-8")
    tool = root / "pkg" / "tool.sh"
    tool.write_text("#!/bin/sh\n", encoding="utf-8")
    tool.chmod(0o755)
    for path in root.rglob("*"):
        os.utime(path, (mtime, mtime))
    return root


def test_the_same_files_give_a_byte_identical_layer_archive_whatever_their_timestamps(tmp_path: Path) -> None:
    first = _packages(tmp_path / "first", mtime=1_000_000_000)
    second = _packages(tmp_path / "second", mtime=1_700_000_000)

    write_layer_zip(first, tmp_path / "first.zip")
    write_layer_zip(second, tmp_path / "second.zip")

    assert (tmp_path / "first.zip").read_bytes() == (tmp_path / "second.zip").read_bytes()


def test_a_changed_file_changes_the_layer_archive(tmp_path: Path) -> None:
    packages = _packages(tmp_path / "packages", mtime=1_000_000_000)
    write_layer_zip(packages, tmp_path / "before.zip")

    (packages / "pkg" / "__init__.py").write_text("VALUE = 2\n", encoding="utf-8")
    write_layer_zip(packages, tmp_path / "after.zip")

    assert (tmp_path / "before.zip").read_bytes() != (tmp_path / "after.zip").read_bytes()


def test_the_layer_archive_holds_the_packages_under_python_with_their_executable_bits(tmp_path: Path) -> None:
    packages = _packages(tmp_path / "packages", mtime=1_000_000_000)

    write_layer_zip(packages, tmp_path / "layer.zip")

    with zipfile.ZipFile(tmp_path / "layer.zip") as archive:
        names = archive.namelist()
        mode = archive.getinfo(f"{LAYER_PYTHON_DIR}/pkg/tool.sh").external_attr >> 16
    assert sorted(names) == [
        "python/pkg-1.0.dist-info/METADATA",
        "python/pkg/__init__.py",
        "python/pkg/tool.sh",
    ]
    assert mode & 0o111


def test_a_function_target_names_uvs_platform_and_the_runtimes_python() -> None:
    target = Target.lambda_function("python3.13", "arm64")

    assert (target.python_version, target.platform) == ("3.13", "aarch64-manylinux_2_34")


def test_an_architecture_without_a_known_wheel_platform_is_refused() -> None:
    with pytest.raises(DependencyBuildError, match="no wheel platform"):
        Target.lambda_function("python3.13", "riscv64")
