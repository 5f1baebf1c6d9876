"""Deploy what you test: every function imports, on Lambda, exactly the package versions of ``uv.lock``."""

from __future__ import annotations

import zipfile

import pytest

from tests.infra.deployment import (
    DeployedFunction,
    archive_files,
    deployed_functions,
    installed_versions,
    locked_runtime_versions,
    marker_environment,
    metadata_files,
)
from tests.infra.support import Synthesized

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def functions(synthesized: Synthesized) -> dict[str, DeployedFunction]:
    """The dev assembly's functions with the files they would run from."""
    return deployed_functions(synthesized)


def _deployed_versions(function: DeployedFunction) -> dict[str, str]:
    """What the function's import path holds: its code asset, then each layer in Lambda's order."""
    versions = installed_versions(metadata_files(function.code))
    for layer in function.layers:
        versions.update(installed_versions(archive_files(layer)))
    return versions


def test_each_function_deploys_the_locked_version_of_every_runtime_package_and_nothing_else(
    functions: dict[str, DeployedFunction],
) -> None:
    assert functions
    for function in functions.values():
        locked = locked_runtime_versions(marker_environment(function.python_version, function.machine))

        deployed = _deployed_versions(function)

        differences = {
            name: (deployed.get(name, "missing"), locked.get(name, "not in the lock"))
            for name in sorted(set(deployed) | set(locked))
            if deployed.get(name) != locked.get(name)
        }
        assert not differences, f"{function.logical_id}: (deployed, locked) {differences}"


def test_compiled_extensions_in_the_layers_are_built_for_the_functions_python_and_processor(
    functions: dict[str, DeployedFunction],
) -> None:
    for function in functions.values():
        tag = f"cpython-{function.python_version.replace('.', '')}-{function.machine}-linux-gnu"
        extensions = [name for layer in function.layers for name in archive_files(layer, (".so",))]
        assert extensions, "pydantic-core ships a compiled extension; the layer must hold one"
        wrong = [name for name in extensions if tag not in name and "abi3.so" not in name]
        assert not wrong, f"{function.logical_id}: not {tag}: {wrong}"


def test_layers_declare_the_runtime_and_architecture_of_the_functions_that_use_them(
    synthesized: Synthesized, functions: dict[str, DeployedFunction]
) -> None:
    for function in functions.values():
        for layer in function.properties["Layers"]:
            declared = synthesized.resources[layer["Ref"]]["Properties"]
            assert function.properties["Runtime"] in declared["CompatibleRuntimes"]
            assert function.properties["Architectures"][0] in declared["CompatibleArchitectures"]


def test_every_file_the_layers_distributions_record_is_in_the_layer(
    functions: dict[str, DeployedFunction],
) -> None:
    # RECORD is what tools trust about an installation; entries for removed files (console
    # scripts) would also carry machine-specific hashes and make the layer differ per build host.
    for layer in {layer for function in functions.values() for layer in function.layers}:
        with zipfile.ZipFile(layer) as archive:
            members = set(archive.namelist())
            records = [name for name in members if name.endswith(".dist-info/RECORD")]
            listed = {
                f"python/{line.split(',')[0]}"
                for record in records
                for line in archive.read(record).decode("utf-8").splitlines()
                if line and not line.startswith("../")
            }
        assert records
        assert not sorted(listed - members), f"{layer.name} records files it does not hold"
