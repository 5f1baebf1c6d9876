"""The admin console on AWS: its files in a private bucket, served under ``/console/`` by the distribution.

- the bucket: :func:`cdk.constructs.origin_bucket.origin_bucket` (private, SSE-S3, versioned, SSL
  only, access-logged); CloudFront reads it through origin access control (OAC), nothing else does;
- ``/console`` and ``/console/*`` behaviours: HTTPS only, the security headers with the console's own
  Content-Security-Policy (:func:`admin_console.csp.content_security_policy`), and a viewer-request
  function that serves ``index.html`` for ``/console/``;
- a ``BucketDeployment`` of :data:`admin_console.config.STATIC_DIR` as it is, plus ``config.json``
  built from :class:`admin_console.config.ConsoleConfig` (Cognito sign-in), whose CloudFormation
  references resolve at deploy time; every deployment invalidates ``/console/*``.

Browsers revalidate every file on each load (``max-age=0``) while the edge keeps them a day
(``s-maxage``): the files are not content-hashed, so a deploy must reach admins at their next load,
and the deployment's invalidation is what refreshes the edge.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from admin_console.config import (
    CALLBACK_PAGE,
    CONFIG_FILE,
    CONSOLE_PATH,
    STATIC_DIR,
    CognitoSignIn,
    ConsoleConfig,
)
from admin_console.csp import content_security_policy
from cdk.checkov import skip_check
from cdk.config import StackConfig
from cdk.constructs.admin_api import AdminApi
from cdk.constructs.edge import Edge, security_headers_policy
from cdk.constructs.images import CatalogImages
from cdk.constructs.log_encryption import LogEncryption
from cdk.constructs.origin_bucket import origin_bucket
from cdk.nag import acknowledge

CONSOLE_PATHS_SOURCE = Path(__file__).resolve().parent.parent / "edge" / "console_paths.js"
# The S3 key prefix of the console's files: CloudFront asks S3 for the viewer's path as it is.
KEY_PREFIX = CONSOLE_PATH.lstrip("/")
# How CDK writes an unresolved value into a string (e.g. ``${Token[AWS.AccountId.9]}``).
_TOKEN = re.compile(r"\$\{Token\[[^\]]+\]\}")
_HELPER_REASON = (
    "CDK's own BucketDeployment helper (SPEC: helper functions CDK adds are exempt from the function "
    "rules); it runs only during deployments, copying the console's asset into its bucket."
)


def config_document(values: Mapping[str, Any]) -> dict[str, Any]:
    """``config.json`` as :class:`ConsoleConfig` validates and writes it, CloudFormation references kept.

    pydantic cannot validate an unresolved value (``https://${Token[...]}/console/`` is no URL), so
    each one is swapped for a plain placeholder, the document is validated and dumped, and the
    placeholders are swapped back; ``Source.json_data`` resolves them when the stack deploys.
    """
    hidden: dict[str, str] = {}

    def hide(match: re.Match[str]) -> str:
        placeholder = f"cdktoken{len(hidden)}x"
        hidden[placeholder] = match.group(0)
        return placeholder

    def walk(value: Any, change: Any) -> Any:
        if isinstance(value, str):
            return change(value)
        if isinstance(value, Mapping):
            return {key: walk(item, change) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [walk(item, change) for item in value]
        return value

    def restore(text: str) -> str:
        for placeholder, token in hidden.items():
            text = text.replace(placeholder, token)
        return text

    plain = walk(values, lambda text: _TOKEN.sub(hide, text))
    document = ConsoleConfig.model_validate(plain).model_dump(mode="json")
    restored: dict[str, Any] = walk(document, restore)
    return restored


class AdminConsole(Construct):
    """The console's bucket, its behaviours on the distribution, and the deployment of its files."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        edge: Edge,
        admin: AdminApi,
        images: CatalogImages,
        access_logs: s3.IBucket,
        log_encryption: LogEncryption,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.url = f"{edge.base_url}{CONSOLE_PATH}"
        self.bucket = self._build_bucket(access_logs)
        self.content_security_policy = content_security_policy(
            admin_api_origin=admin.origin,
            sign_in_origin=admin.sign_in_url,
            upload_origin=images.upload_origin,
        )
        self._add_behaviors(edge.distribution)
        self.config_document = config_document(
            {
                "admin_api": admin.base_url,
                "public_api": edge.base_url,
                "sign_in": {
                    "mode": CognitoSignIn.model_fields["mode"].default,
                    "domain": admin.sign_in_url,
                    "client_id": admin.user_pool_client.user_pool_client_id,
                    "redirect_uri": f"{self.url}{CALLBACK_PAGE}",
                    "logout_uri": self.url,
                },
            }
        )
        self.deployment = self._deploy_files(edge.distribution, log_encryption)

    def _build_bucket(self, access_logs: s3.IBucket) -> s3.Bucket:
        return origin_bucket(
            self,
            "Bucket",
            config=self._config,
            purpose="console",
            access_logs=access_logs,
            lifecycle_rules=[
                # Every deployment overwrites the files; old versions only matter for a quick rollback.
                s3.LifecycleRule(
                    id="expire-noncurrent-versions", noncurrent_version_expiration=Duration.days(30)
                ),
                s3.LifecycleRule(id="remove-expired-delete-markers", expired_object_delete_marker=True),
            ],
        )

    def _add_behaviors(self, distribution: cloudfront.Distribution) -> None:
        headers = security_headers_policy(
            self,
            "SecurityHeaders",
            comment="Admin console: HSTS, nosniff, no framing, no referrer, a CSP of its own sources",
            content_security_policy=self.content_security_policy,
        )
        paths = cloudfront.Function(
            self,
            "ConsolePaths",
            comment="Admin console: /console/ serves index.html, /console redirects to /console/",
            code=cloudfront.FunctionCode.from_file(file_path=str(CONSOLE_PATHS_SOURCE)),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
        origin = origins.S3BucketOrigin.with_origin_access_control(
            self.bucket, origin_access_levels=[cloudfront.AccessLevel.READ]
        )
        console = CONSOLE_PATH.rstrip("/")
        for pattern in (console, f"{console}/*"):
            distribution.add_behavior(
                pattern,
                origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
                # The path alone is the cache key: callback.html?code=... is one cached page for all.
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
                compress=True,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=paths, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            )

    def _deploy_files(
        self, distribution: cloudfront.Distribution, log_encryption: LogEncryption
    ) -> s3deploy.BucketDeployment:
        log_group = logs.LogGroup(
            self,
            "DeploymentLogs",
            log_group_name=f"{self._config.log_group_prefix}/lambda/console-deployment",
            retention=self._config.log_retention,
            removal_policy=self._config.removal_policy,
            encryption_key=log_encryption.key,
        )
        deployment = s3deploy.BucketDeployment(
            self,
            "Files",
            destination_bucket=self.bucket,
            destination_key_prefix=KEY_PREFIX,
            sources=[
                # config.json is the stage's own: never one a developer left in the folder.
                s3deploy.Source.asset(str(STATIC_DIR), exclude=[CONFIG_FILE]),
                s3deploy.Source.json_data(CONFIG_FILE, self.config_document),
            ],
            cache_control=[
                s3deploy.CacheControl.set_public(),
                s3deploy.CacheControl.max_age(Duration.seconds(0)),
                s3deploy.CacheControl.must_revalidate(),
                s3deploy.CacheControl.s_max_age(Duration.days(1)),
            ],
            distribution=distribution,
            distribution_paths=[f"{CONSOLE_PATH}*"],
            log_group=log_group,
            memory_limit=256,
        )
        self._acknowledge_helper()
        return deployment

    @property
    def deployment_handler(self) -> lambda_.Function:
        """CDK's BucketDeployment function: a singleton at stack level, exempt from our function rules."""
        handler = next(
            child
            for child in Stack.of(self).node.children
            if child.node.id.startswith("Custom::CDKBucketDeployment")
        )
        assert isinstance(handler, lambda_.Function)
        return handler

    def _acknowledge_helper(self) -> None:
        stack = Stack.of(self)
        handler = self.deployment_handler
        bucket = self.bucket.node.default_child
        assert isinstance(bucket, s3.CfnBucket)
        bucket_id = stack.resolve(stack.get_logical_id(bucket))
        assets = f"arn:aws:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-{self._config.region}"
        acknowledge(
            handler,
            "AwsSolutions-IAM4",
            f"{_HELPER_REASON} CDK attaches AWSLambdaBasicExecutionRole so that it can write its logs.",
            finding="Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        )
        acknowledge(
            handler,
            "AwsSolutions-L1",
            f"{_HELPER_REASON} Its runtime is the one the installed aws-cdk-lib chooses, not ours to set.",
        )
        grants = {
            "Resource::*": "CDK grants cloudfront:CreateInvalidation/GetInvalidation, which take no resource",
            f"Resource::{assets}/*": "it reads the console's asset, whose key CDK chooses per deployment",
            f"Resource::<{bucket_id}.Arn>/*": "it writes and prunes the console's files, all of the bucket",
            "Action::s3:GetObject*": "CDK's read grant on the asset and console buckets",
            "Action::s3:GetBucket*": "CDK's read grant on the asset and console buckets",
            "Action::s3:List*": "CDK's read grant on the asset and console buckets",
            "Action::s3:DeleteObject*": "CDK's write grant on the console bucket (pruning old files)",
            "Action::s3:Abort*": "CDK's write grant on the console bucket (failed multipart uploads)",
        }
        for finding, why in grants.items():
            acknowledge(handler, "AwsSolutions-IAM5", f"{_HELPER_REASON} {why}.", finding=finding)
        function = handler.node.default_child
        assert isinstance(function, lambda_.CfnFunction)
        for check, why in (
            ("CKV_AWS_115", "It runs once per deployment, so no concurrency limit is needed"),
            ("CKV_AWS_116", "CloudFormation invokes it synchronously and reports its failure"),
            ("CKV_AWS_117", "It only reaches the S3 and CloudFront APIs, so it needs no VPC"),
            ("CKV_AWS_173", "Its one variable is the path of the CA bundle, no secret"),
        ):
            skip_check(function, check, f"{_HELPER_REASON} {why}.")
        skip_check(
            handler.node.find_child("ServiceRole").node.find_child("DefaultPolicy"),
            "CKV_AWS_111",
            f"{_HELPER_REASON} CloudFront invalidations take no resource ARN, so CDK grants them on '*'.",
        )
