"""`make synth` wall time and each function's zipped code asset."""

from __future__ import annotations

import json
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


def measure(_: Context) -> Measured:
    """`make synth` wall time (warm: the second of two runs) and each function's zipped asset size."""
    command = ["make", "--no-print-directory", "synth"]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=SYNTH_TIMEOUT_S)
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, timeout=SYNTH_TIMEOUT_S)
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
