"""The customer-managed key every log group of the stack is encrypted with.

CloudWatch Logs encrypts with a key only when the key policy lets the regional logs service use
it; the grant is bounded by the encryption context to this stack's own log groups (all named under
``/<app>/<stage>/``), so no other log group of the account can borrow the key.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from cdk.config import StackConfig


class LogEncryption(Construct):
    """A rotating KMS key that CloudWatch Logs may use for this stack's log groups only."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StackConfig) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description=f"{config.prefix}: encrypts the stack's CloudWatch log groups",
            enable_key_rotation=True,
            pending_window=Duration.days(30 if config.is_production else 7),
            removal_policy=config.removal_policy,
        )
        log_groups = (
            f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:{config.log_group_prefix}/*"
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchLogsEncryptsThisStacksLogGroups",
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
            )
        )
