"""`make synth` wall time and each function's zipped code asset."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

from bench.sections import Context, Figure, Measured

ROOT = Path(__file__).resolve().parent.parent
ASSET_TARGET_KB = 256
# A bound on one `make synth`, far above what it takes (8 s warm; 187 s on a machine loaded to 20).
SYNTH_TIMEOUT_S = 900


def _zipped_size(source: Path) -> int:
    if source.is_file():
        return source.stat().st_size
    archive = ROOT / "cdk.out" / ".bench-asset.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                bundle.write(path, path.relative_to(source))
    size = archive.stat().st_size
    archive.unlink()
    return size


def _run(command: list[str]) -> None:
    """Run ``command`` to success within :data:`SYNTH_TIMEOUT_S`, or stop it and all it started.

    Raises
    ------
    subprocess.TimeoutExpired
        After the bound, once the command's whole process group is killed.
    RuntimeError
        When the command fails, with the last lines it wrote to stderr.

    `make synth` runs the CDK app through node and checkov in children of its own; killing make
    alone would leave them running, so the command gets its own process group.
    """
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        _, stderr = process.communicate(timeout=SYNTH_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    if process.returncode != 0:
        last = stderr.decode(errors="replace").strip().splitlines()[-5:]
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}: {' / '.join(last)}")


def measure(_: Context) -> Measured:
    """`make synth` wall time (warm: the second of two runs) and each function's zipped asset size."""
    command = ["make", "--no-print-directory", "synth"]
    _run(command)
    started = time.perf_counter()
    _run(command)
    synth_s = round(time.perf_counter() - started, 2)
    template = next((ROOT / "cdk.out").glob("*.template.json"))
    resources = json.loads(template.read_text())["Resources"]
    asset_kb: dict[str, float] = {}
    for logical_id, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        # The asset's S3 key is <hash>.zip; cdk.out holds it as the folder asset.<hash>.
        key = str(resource["Properties"]["Code"].get("S3Key", ""))
        source = ROOT / "cdk.out" / f"asset.{key.removesuffix('.zip')}"
        if source.exists():
            asset_kb[logical_id] = round(_zipped_size(source) / 1024, 1)
    largest = max(asset_kb.values(), default=0.0)
    details: dict[str, Any] = {"synth_s": synth_s, "asset_kb": {"functions": asset_kb, "max": largest}}
    return Measured(details, {"synth.asset_kb_max": Figure(largest, ASSET_TARGET_KB, "KB")})
