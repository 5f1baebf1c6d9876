"""checkov on the synthesized templates, and the encryption it asks for.

checkov runs from its own tool environment (``make test`` and ``make synth`` create
``.venv-checkov``), on the very templates the other infrastructure tests read.
"""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cdk.checkov import METADATA_KEY, skip_check, template_skips
from cdk.config import REPO_ROOT
from cdk.nag import MIN_REASON_LENGTH
from tests.infra.support import Synthesized

pytestmark = pytest.mark.infra

CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"


def _checkov(template: Path) -> dict[str, Any]:
    assert CHECKOV.exists(), "checkov is not installed: `make test` (or `make synth`) installs it"
    completed = subprocess.run(
        [
            str(CHECKOV),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--quiet",
            "-o",
            "json",
            "-f",
            str(template),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report: dict[str, Any] = json.loads(completed.stdout)
    return report


def _template_path(synth: Synthesized) -> Path:
    return synth.outdir / f"{synth.stack.artifact_id}.template.json"


def _failed(report: dict[str, Any]) -> list[str]:
    return [
        f"{check['check_id']} {check['resource']}: {check['check_name']}"
        for check in report.get("results", {}).get("failed_checks", [])
    ]


@pytest.mark.parametrize("stack", ["synthesized", "production"])
def test_checkov_finds_nothing_in_either_stage(stack: str, request: pytest.FixtureRequest) -> None:
    synth: Synthesized = request.getfixturevalue(stack)
    report = _checkov(_template_path(synth))
    assert report["summary"]["passed"] > 0
    assert _failed(report) == []


def test_checkov_reports_a_check_whose_skip_is_taken_away(synthesized: Synthesized, tmp_path: Path) -> None:
    raw = copy.deepcopy(synthesized.raw)
    distribution = synthesized.logical_id(synthesized.stack.edge.distribution)
    del raw["Resources"][distribution]["Metadata"][METADATA_KEY]
    stripped = tmp_path / "stripped.template.json"
    stripped.write_text(json.dumps(raw), encoding="utf-8")
    failed = _failed(_checkov(stripped))
    assert any(line.startswith(f"CKV_AWS_68 AWS::CloudFront::Distribution.{distribution}") for line in failed)


def test_every_checkov_skip_carries_a_reviewable_reason(synthesized: Synthesized) -> None:
    skips = list(template_skips(synthesized.raw))
    assert skips
    assert [skip for skip in skips if len(skip[2]) < MIN_REASON_LENGTH] == []


def test_a_custom_domain_needs_no_tls_or_waf_skip_beyond_the_default_acl(production: Synthesized) -> None:
    distribution = production.logical_id(production.stack.edge.distribution)
    skipped = {check for logical_id, check, _ in template_skips(production.raw) if logical_id == distribution}
    assert "CKV_AWS_174" not in skipped


def test_a_short_checkov_reason_is_refused(synthesized: Synthesized) -> None:
    with pytest.raises(ValueError, match="reason"):
        skip_check(synthesized.stack.access_logs.bucket, "CKV_AWS_21", "versioning is off")


def test_every_log_group_is_encrypted_with_the_stacks_log_key(synthesized: Synthesized) -> None:
    log_key = synthesized.logical_id(synthesized.stack.log_encryption.key)
    groups = synthesized.of_type("AWS::Logs::LogGroup")
    assert groups
    unencrypted = [
        key
        for key, group in groups.items()
        if group["Properties"].get("KmsKeyId") != {"Fn::GetAtt": [log_key, "Arn"]}
    ]
    assert unencrypted == []


def test_the_log_key_serves_only_this_stacks_log_groups(synthesized: Synthesized) -> None:
    key = synthesized.properties(synthesized.stack.log_encryption.key)
    logs_statements = [
        statement
        for statement in key["KeyPolicy"]["Statement"]
        if "logs" in json.dumps(statement.get("Principal", {}))
    ]
    assert len(logs_statements) == 1
    condition = json.dumps(logs_statements[0]["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])
    assert ":log-group:/catalog/dev/*" in condition


def test_secrets_and_all_queues_use_the_table_key(synthesized: Synthesized) -> None:
    table_key = synthesized.logical_id(synthesized.stack.data.key)
    secrets = synthesized.of_type("AWS::SecretsManager::Secret")
    queues = synthesized.of_type("AWS::SQS::Queue")
    assert len(secrets) == 2
    # The failure queues of the projector, the publisher, image registration, import-start and the
    # two bulk work queues, and those two work queues themselves.
    assert len(queues) == 8
    assert all(s["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [table_key, "Arn"]} for s in secrets.values())
    assert all(
        q["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [table_key, "Arn"]} for q in queues.values()
    )


def test_the_access_log_bucket_keeps_versions_until_its_retention_ends(synthesized: Synthesized) -> None:
    bucket = synthesized.properties(synthesized.stack.access_logs.bucket)
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["expire-access-logs"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
