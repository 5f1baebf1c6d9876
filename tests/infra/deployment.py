"""Readers of a cloud assembly as CloudFormation would deploy it, and of ``uv.lock`` as the tests ran it.

The deploy-parity and rehearsal tests answer two questions from files alone: which packages, at
which versions, does each function import on Lambda (its code asset, its layers' archives), and
which versions did the tests run (the lock). Both are read independently of the code that builds
the layer, so a fault in that code shows up as a difference here.
"""

from __future__ import annotations

import json
import re
import tomllib
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from packaging.markers import Marker

from cdk.config import REPO_ROOT
from tests.infra.support import Synthesized

LOCK_FILE = REPO_ROOT / "uv.lock"
PROJECT = "product-catalog"
# Lambda's Python runtimes: the package versions that matter are for this environment.
LAMBDA_MACHINES = {"arm64": "aarch64", "x86_64": "x86_64"}


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them (``Typing_Extensions`` -> ``typing-extensions``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def marker_environment(python_version: str, machine: str) -> dict[str, str]:
    """The PEP 508 marker values of a CPython ``python_version`` on Linux ``machine``."""
    return {
        "python_version": python_version,
        "python_full_version": f"{python_version}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "os_name": "posix",
        "sys_platform": "linux",
        "platform_system": "Linux",
        "platform_machine": machine,
    }


def locked_runtime_versions(environment: Mapping[str, str], lock_file: Path = LOCK_FILE) -> dict[str, str]:
    """Name -> version of every package the project's runtime dependencies pull in, per ``uv.lock``.

    Walks the lock from the project's ``dependencies`` (not its dev group), following extras and
    skipping edges whose marker is false in ``environment``.
    """
    lock = tomllib.loads(lock_file.read_text(encoding="utf-8"))
    packages: dict[str, list[dict[str, Any]]] = {}
    for package in lock["package"]:
        packages.setdefault(normalize(package["name"]), []).append(package)

    def entry(name: str, version: str | None) -> dict[str, Any]:
        candidates = packages[normalize(name)]
        if version is not None:
            candidates = [package for package in candidates if package["version"] == version]
        assert len(candidates) == 1, f"uv.lock: cannot tell which {name} is meant ({version})"
        return candidates[0]

    versions: dict[str, str] = {}
    pending = [(dependency, ()) for dependency in entry(PROJECT, None).get("dependencies", [])]
    seen: set[tuple[str, tuple[str, ...]]] = set()
    while pending:
        dependency, _ = pending.pop()
        marker = dependency.get("marker")
        if marker and not Marker(marker).evaluate(dict(environment)):
            continue
        package = entry(dependency["name"], dependency.get("version"))
        name, extras = normalize(package["name"]), tuple(dependency.get("extra", ()))
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        versions[name] = package["version"]
        edges = list(package.get("dependencies", []))
        for extra in extras:
            edges += package.get("optional-dependencies", {}).get(extra, [])
        pending += [(edge, ()) for edge in edges]
    return versions


def installed_versions(files: Mapping[str, bytes]) -> dict[str, str]:
    """Name -> version of the distributions whose ``*.dist-info/METADATA`` is among ``files``."""
    versions = {}
    for path, content in files.items():
        parts = path.split("/")
        if parts[-1] == "METADATA" and parts[-2].endswith(".dist-info"):
            headers = HeaderParser().parsestr(content.decode("utf-8"))
            versions[normalize(headers["Name"])] = headers["Version"]
    return versions


def metadata_files(directory: Path) -> dict[str, bytes]:
    """The dist-info METADATA files under ``directory``, by path relative to it."""
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in directory.rglob("*.dist-info/METADATA")
    }


@dataclass(frozen=True)
class DeployedFunction:
    """One ``AWS::Lambda::Function`` of the assembly and the files it would run from."""

    logical_id: str
    properties: dict[str, Any]
    code: Path  # the code asset directory (Lambda's /var/task)
    layers: tuple[Path, ...]  # layer archives, in the order Lambda extracts them into /opt

    @property
    def handler(self) -> str:
        """The handler string the template names."""
        return str(self.properties["Handler"])

    @property
    def machine(self) -> str:
        """The processor the function runs on, as ``platform_machine`` names it."""
        return LAMBDA_MACHINES[self.properties.get("Architectures", ["x86_64"])[0]]

    @property
    def python_version(self) -> str:
        """``3.13`` for the ``python3.13`` runtime."""
        return str(self.properties["Runtime"]).removeprefix("python")


def asset_paths(synth: Synthesized) -> dict[str, Path]:
    """Object key in the assets bucket -> the file or directory of the assembly uploaded there."""
    manifest_file = synth.outdir / f"{synth.stack.artifact_id}.assets.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    paths = {}
    for asset in manifest["files"].values():
        for destination in asset["destinations"].values():
            paths[destination["objectKey"]] = synth.outdir / asset["source"]["path"]
    return paths


def deployed_functions(synth: Synthesized) -> dict[str, DeployedFunction]:
    """Every function of ours in the template with its code asset and layer archives, by logical id.

    CDK's own helper (the console's BucketDeployment) is left out: it runs CDK's code, not ours.

    A layer that is not one of this assembly's assets (a public layer ARN, say) cannot be inspected
    offline, so it fails here rather than letting its contents go unchecked.
    """
    assets = asset_paths(synth)
    functions = {}
    for logical_id, resource in synth.catalog_functions().items():
        properties = resource["Properties"]
        layers = []
        for layer in properties.get("Layers", []):
            assert isinstance(layer, dict), f"{logical_id}: layer {layer} is not built in this stack"
            assert "Ref" in layer, f"{logical_id}: layer {layer} is not built in this stack"
            content = synth.resources[layer["Ref"]]["Properties"]["Content"]
            layers.append(assets[content["S3Key"]])
        functions[logical_id] = DeployedFunction(
            logical_id=logical_id,
            properties=properties,
            code=assets[properties["Code"]["S3Key"]],
            layers=tuple(layers),
        )
    return functions


def archive_files(archive: Path, suffixes: tuple[str, ...] = ("/METADATA", ".so")) -> dict[str, bytes]:
    """The members of a layer archive whose names end with ``suffixes`` (``.so`` ones are listed empty)."""
    with zipfile.ZipFile(archive) as bundle:
        return {
            name: b"" if name.endswith(".so") else bundle.read(name)
            for name in bundle.namelist()
            if name.endswith(suffixes)
        }
