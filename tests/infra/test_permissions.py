"""Each function's role holds exactly the grants the function's code uses, and nothing else."""

from __future__ import annotations

import pytest
from constructs import IConstruct

from shared.routes import FUNCTIONS
from tests.infra.support import Synthesized, as_list, grants, render, role_statements

pytestmark = pytest.mark.infra

TRACING = {("xray:PutTraceSegments", "*"), ("xray:PutTelemetryRecords", "*")}
RESOURCELESS_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "dynamodb:ListStreams"}


def _arn(synth: Synthesized, construct: IConstruct, attribute: str = "Arn") -> str:
    return "{" + synth.logical_id(construct) + "." + attribute + "}"


def _ref(synth: Synthesized, construct: IConstruct) -> str:
    return "{" + synth.logical_id(construct) + "}"


def _pairs(actions: list[str], *resources: str) -> set[tuple[str, str]]:
    return {(action, resource) for action in actions for resource in resources}


def expected_grants(synth: Synthesized) -> dict[str, set[tuple[str, str]]]:
    """The whole permission set of every function, written out by hand."""
    stack = synth.stack
    data, images, public, projection = stack.data, stack.images, stack.public, stack.projection
    products, views, idempotency, event_log = (
        _arn(synth, data.products),
        _arn(synth, data.views),
        _arn(synth, data.idempotency),
        _arn(synth, data.event_log),
    )
    table_key = _arn(synth, data.key)
    bucket = (
        f"arn:{{AWS::Partition}}:s3:::{synth.catalog.config.prefix}-images-{{AWS::AccountId}}-{{AWS::Region}}"
    )
    uploads, registered = f"{bucket}/uploads/*", f"{bucket}/images/*"
    imports, exports = f"{bucket}/imports/*", f"{bucket}/exports/*"
    jobs = _arn(synth, data.jobs)
    bulk = stack.bulk
    # What CDK's SqsEventSource grants the function (the event source mapping polls as the role).
    consume = [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueUrl",
    ]
    idempotency_records = _pairs(
        ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"], idempotency
    )
    decrypt_tables = _pairs(["kms:Decrypt"], table_key)
    # The failure queues are encrypted with the table key: parking a failure encrypts with it.
    park_failures = _pairs(["kms:GenerateDataKey"], table_key)

    def logs(key: str) -> set[tuple[str, str]]:
        log_group = stack.functions[key].log_group
        return _pairs(["logs:CreateLogStream", "logs:PutLogEvents"], _arn(synth, log_group))

    return {
        "admin-products": TRACING
        | logs("admin-products")
        | idempotency_records
        | decrypt_tables
        | _pairs(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"], products)
        | _pairs(["dynamodb:Query"], event_log)
        | _pairs(["s3:GetObject", "s3:DeleteObject"], registered),
        "admin-inventory": TRACING
        | logs("admin-inventory")
        | idempotency_records
        | decrypt_tables
        | _pairs(["dynamodb:UpdateItem"], products),
        "admin-images": TRACING
        | logs("admin-images")
        | idempotency_records
        | decrypt_tables
        | _pairs(["dynamodb:GetItem", "dynamodb:UpdateItem"], products)
        | _pairs(["s3:PutObject"], uploads)
        | _pairs(["s3:DeleteObject"], registered),
        "admin-listing": TRACING
        | logs("admin-listing")
        | decrypt_tables
        | _pairs(
            ["dynamodb:Query"],
            *(
                f"{views}/index/{name}"
                for name in ("admin-category", "admin-stock", "admin-status", "admin-all")
            ),
        )
        | _pairs(["s3:GetObject"], registered),
        "admin-bulk": TRACING
        | logs("admin-bulk")
        | idempotency_records
        | decrypt_tables
        | _pairs(["dynamodb:GetItem", "dynamodb:PutItem"], jobs)
        | _pairs(["s3:PutObject", "s3:GetObject"], imports)
        | _pairs(["s3:GetObject"], exports)
        | _pairs(["sqs:SendMessage"], _arn(synth, bulk.export_queue))
        | park_failures,
        "import-start": TRACING
        | logs("import-start")
        | decrypt_tables
        | _pairs(["dynamodb:GetItem", "dynamodb:UpdateItem"], jobs)
        | _pairs(["s3:GetObject"], imports)
        | _pairs(["sqs:SendMessage"], _arn(synth, bulk.batch_queue), _arn(synth, bulk.start_failures))
        | park_failures,
        "import-batch": TRACING
        | logs("import-batch")
        | decrypt_tables
        | _pairs(["dynamodb:BatchGetItem", "dynamodb:PutItem"], products)
        | _pairs(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"], jobs)
        | _pairs(["s3:GetObject", "s3:PutObject"], imports)
        | _pairs(consume, _arn(synth, bulk.batch_queue)),
        "export-job": TRACING
        | logs("export-job")
        | decrypt_tables
        | _pairs(["dynamodb:Scan"], products)
        | _pairs(["dynamodb:GetItem", "dynamodb:UpdateItem"], jobs)
        | _pairs(["s3:PutObject"], exports)
        | _pairs(consume, _arn(synth, bulk.export_queue)),
        "image-registration": TRACING
        | logs("image-registration")
        | decrypt_tables
        | _pairs(["dynamodb:GetItem", "dynamodb:UpdateItem"], products)
        | _pairs(["s3:GetObject", "s3:DeleteObject"], uploads)
        | _pairs(["s3:ListBucket"], bucket)
        | _pairs(["s3:PutObject"], registered)
        | _pairs(["sqs:SendMessage"], _arn(synth, images.registration_failures))
        | park_failures,
        "public-products": TRACING
        | logs("public-products")
        | decrypt_tables
        | _pairs(["dynamodb:GetItem"], views)
        | _pairs(
            ["dynamodb:Query"],
            f"{views}/index/discovery-newest",
            f"{views}/index/discovery-price",
            f"{views}/index/discovery-name",
        )
        | _pairs(["secretsmanager:GetSecretValue"], _ref(synth, public.cursor_secret)),
        "public-categories": TRACING
        | logs("public-categories")
        | decrypt_tables
        | _pairs(["dynamodb:Query"], views),
        "projector": TRACING
        | logs("projector")
        | decrypt_tables
        | _pairs(
            ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
            _arn(synth, data.products, "StreamArn"),
        )
        | {("dynamodb:ListStreams", "*")}
        | _pairs(["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], views)
        | _pairs(["dynamodb:PutItem"], event_log)
        | _pairs(["sqs:SendMessage"], _arn(synth, projection.failures))
        | park_failures,
        "event-publisher": TRACING
        | logs("event-publisher")
        | decrypt_tables
        | _pairs(
            ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
            _arn(synth, data.event_log, "StreamArn"),
        )
        | {("dynamodb:ListStreams", "*")}
        | _pairs(["dynamodb:UpdateItem"], event_log)
        | _pairs(["dynamodb:Query"], f"{event_log}/index/unpublished")
        | _pairs(["sns:Publish"], _ref(synth, projection.inventory_topic))
        | _pairs(["kms:GenerateDataKey", "kms:Decrypt"], _arn(synth, projection.topic_key))
        | _pairs(["sqs:SendMessage"], _arn(synth, stack.publishing.failures))
        | park_failures,
    }


def _role_of(synth: Synthesized, key: str) -> str:
    function = synth.properties(synth.stack.functions[key].function)
    role_id: str = function["Role"]["Fn::GetAtt"][0]
    return role_id


@pytest.mark.parametrize("key", [spec.key for spec in FUNCTIONS])
def test_function_role_holds_exactly_the_grants_its_code_uses(synthesized: Synthesized, key: str) -> None:
    actual = grants(role_statements(synthesized, _role_of(synthesized, key)))
    expected = expected_grants(synthesized)[key]
    assert actual - expected == set(), "granted but not needed"
    assert expected - actual == set(), "needed but not granted"


def test_every_function_has_its_own_role_without_managed_policies(synthesized: Synthesized) -> None:
    roles = [_role_of(synthesized, spec.key) for spec in FUNCTIONS]
    assert len(set(roles)) == len(FUNCTIONS)
    for role in roles:
        properties = synthesized.resources[role]["Properties"]
        assert "ManagedPolicyArns" not in properties
        assert properties["AssumeRolePolicyDocument"]["Statement"] == [
            {"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}}
        ]


def test_no_identity_policy_in_the_stack_allows_a_wildcard_action(synthesized: Synthesized) -> None:
    # CDK's console deployment helper is exempt (its grants are checked in test_admin_console.py).
    roles = set(synthesized.of_type("AWS::IAM::Role")) - synthesized.helper_role_ids
    assert roles
    for role in roles:
        for statement in role_statements(synthesized, role):
            assert not [action for action in as_list(statement["Action"]) if "*" in action], statement


def test_only_actions_without_resource_types_are_granted_on_every_resource(synthesized: Synthesized) -> None:
    for spec in FUNCTIONS:
        for statement in role_statements(synthesized, _role_of(synthesized, spec.key)):
            if "*" in [render(resource) for resource in as_list(statement["Resource"])]:
                assert set(as_list(statement["Action"])) <= RESOURCELESS_ACTIONS, statement
