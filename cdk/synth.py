"""``make synth``: synthesize into ``cdk.out/`` with the cdk-nag gate, without the CDK CLI or AWS.

Exit status 0 when the template was written and every cdk-nag finding is acknowledged; 1 with the
findings listed otherwise. ``cdk.out/validation-report.json`` keeps the full report, including every
acknowledged finding with its reason; ``--acknowledgements`` prints them together with the checkov
checks the template skips (``Metadata.checkov.skip``), so every decision can be reviewed in one list.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from cdk.app import build_app
from cdk.checkov import template_skips
from cdk.config import REPO_ROOT, ConfigError

DEFAULT_OUTDIR = REPO_ROOT / "cdk.out"
REPORT_FILE = "validation-report.json"


def _plugin_reports(outdir: Path) -> list[dict[str, Any]]:
    report_path = outdir / REPORT_FILE
    if not report_path.exists():
        return []
    reports: list[dict[str, Any]] = json.loads(report_path.read_text(encoding="utf-8")).get(
        "pluginReports", []
    )
    return reports


def _findings(outdir: Path) -> list[str]:
    return [
        f"{violation['ruleName']}: {construct['constructPath']}\n    {violation['description']}"
        for plugin in _plugin_reports(outdir)
        for violation in plugin.get("violations", [])
        for construct in violation.get("violatingConstructs", [])
    ]


def _acknowledgements(outdir: Path, template: Path) -> list[str]:
    nag = [
        f"cdk-nag {suppressed['ruleName']} at {suppressed['acknowledgedAt']}\n    {suppressed['reason']}"
        for plugin in _plugin_reports(outdir)
        for suppressed in plugin.get("suppressedViolations", [])
    ]
    skips = template_skips(json.loads(template.read_text(encoding="utf-8")))
    checkov = [f"checkov {check_id} at {logical_id}\n    {reason}" for logical_id, check_id, reason in skips]
    return nag + checkov


def _clear(outdir: Path) -> None:
    # A stale template from another stage would be linted too; but only ever delete an assembly.
    if not outdir.exists():
        return
    if not (outdir / "manifest.json").exists() and any(outdir.iterdir()):
        raise ConfigError(f"{outdir} exists and is not a cloud assembly; refusing to replace it")
    shutil.rmtree(outdir)


def main(argv: list[str] | None = None) -> int:
    """Synthesize the stack of the configured stage (``--stage``, else ``STAGE``, else ``cdk.json``)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stage", help="stage to synthesize (default: STAGE, then cdk.json)")
    parser.add_argument("--outdir", type=Path, default=DEFAULT_OUTDIR, help="cloud assembly directory")
    parser.add_argument(
        "--acknowledgements",
        action="store_true",
        help="list acknowledged cdk-nag findings and skipped checkov checks with their reasons",
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    try:
        _clear(args.outdir)
        catalog = build_app(
            outdir=str(args.outdir), context={"stage": args.stage} if args.stage else None, fast=True
        )
        catalog.app.synth()
    except ConfigError as error:
        print(f"synth: {error}", file=sys.stderr)
        return 1
    except RuntimeError as error:
        if "ValidationFailed" not in str(error):
            raise
        print("synth: cdk-nag found unacknowledged problems:", file=sys.stderr)
        for line in _findings(args.outdir):
            print(f"  {line}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    template = args.outdir / f"{catalog.stack.artifact_id}.template.json"
    if args.acknowledgements:
        for line in _acknowledgements(args.outdir, template):
            print(line)
    shown = template.relative_to(REPO_ROOT) if template.is_relative_to(REPO_ROOT) else template
    print(f"synth: {shown} ({catalog.config.stage}, cdk-nag AwsSolutions clean) in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
