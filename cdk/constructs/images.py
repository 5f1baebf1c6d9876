"""Product images: the private bucket, browser uploads, and event-driven image registration.

Admins upload with a presigned POST into ``uploads/``; S3 reports ``ObjectCreated`` for that prefix
straight to the image-registration function, which checks the bytes, copies the object to
``images/`` (the only prefix CloudFront serves) and adds it to the product.

The bucket has a fixed, account- and region-qualified name so that the notification can live on the
bucket itself (``NotificationConfiguration``): the Lambda permission is scoped to the bucket's ARN
without referencing the bucket resource, which breaks the bucket -> function -> policy -> bucket
cycle that otherwise forces CDK to configure notifications through a custom-resource Lambda.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws, Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.config import StackConfig
from cdk.constructs.data import CatalogData
from cdk.constructs.failure_queue import build_failure_queue, park_async_failures
from cdk.constructs.function import CatalogFunction, FunctionDefaults
from cdk.constructs.origin_bucket import origin_bucket
from cdk.nag import acknowledge
from shared.routes import function
from shared.tables import IMAGE_PREFIX, UPLOAD_PREFIX

# S3 retries are not ours to tune; Lambda retries the async event twice, then parks it.


class CatalogImages(Construct):
    """Images bucket (private, versioned, lifecycle-managed) and the image-registration function."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        data: CatalogData,
        defaults: FunctionDefaults,
        access_logs: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.bucket_name = f"{config.prefix}-images-{Aws.ACCOUNT_ID}-{Aws.REGION}"
        self.bucket_arn = f"arn:{Aws.PARTITION}:s3:::{self.bucket_name}"
        self.registration_failures = build_failure_queue(
            self,
            "RegistrationFailures",
            key=data.key,
            consumer="image registration's asynchronous invocations",
            replay="its messages are replayed by hand",
        )
        self.registration = self._build_registration_function(data, defaults)
        self.bucket = self._build_bucket(access_logs)
        self._notifications: list[s3.CfnBucket.LambdaConfigurationProperty] = []
        self.notify_on_created(UPLOAD_PREFIX, self.registration.alias, "AllowS3ToInvokeRegistration")

    @property
    def upload_origin(self) -> str:
        """The origin browsers post presigned uploads to: what boto3's ``generate_presigned_post`` names.

        boto3 signs the form for the virtual-hosted global name ``<bucket>.s3.amazonaws.com`` in every
        region, and the admin console's Content-Security-Policy must allow exactly that.
        """
        return f"https://{self.bucket_name}.s3.{Aws.URL_SUFFIX}"

    def allow_uploads_from(self, origins: Sequence[str]) -> None:
        """Let browsers on ``origins`` post presigned upload forms (CORS), and nobody else.

        Called once the distribution exists, since the admin console's origin is its domain.
        """
        if not origins:
            return
        self.bucket.add_cors_rule(
            allowed_methods=[s3.HttpMethods.POST],
            allowed_origins=list(origins),
            # A presigned POST is a multipart form: the browser sends only simple headers.
            allowed_headers=["content-type"],
            max_age=3000,
        )

    def objects_arn(self, prefix: str) -> str:
        """ARN pattern of the objects under ``prefix`` (e.g. ``uploads/``)."""
        return f"{self.bucket_arn}/{prefix}*"

    def nag_objects_finding(self, prefix: str) -> str:
        """How cdk-nag names the ``Resource::`` finding of a grant on :meth:`objects_arn`."""
        return (
            f"Resource::arn:<AWS::Partition>:s3:::{self._config.prefix}-images-<AWS::AccountId>-<AWS::Region>"
            f"/{prefix}*"
        )

    def _build_bucket(self, access_logs: s3.IBucket) -> s3.Bucket:
        return origin_bucket(
            self,
            "Bucket",
            config=self._config,
            purpose="images",
            bucket_name=self.bucket_name,
            access_logs=access_logs,
            lifecycle_rules=[
                # Registration copies a checked upload away at once; what stays is abandoned or rejected.
                s3.LifecycleRule(
                    id="expire-unregistered-uploads",
                    prefix=UPLOAD_PREFIX,
                    expiration=Duration.days(1),
                    noncurrent_version_expiration=Duration.days(1),
                ),
                s3.LifecycleRule(
                    id="expire-noncurrent-versions", noncurrent_version_expiration=Duration.days(30)
                ),
                s3.LifecycleRule(
                    id="abort-incomplete-multipart-uploads",
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
                s3.LifecycleRule(id="remove-expired-delete-markers", expired_object_delete_marker=True),
            ],
        )

    def notify_on_created(self, prefix: str, target: lambda_.IFunction, permission_id: str) -> None:
        """Report ``ObjectCreated`` under ``prefix`` straight to ``target`` (a bucket notification).

        ``target`` is a function's ``live`` alias: S3 must invoke the SnapStart version, never the
        bare function (whose ``$LATEST`` has no snapshot).

        The permission names the bucket by its fixed ARN, not the bucket resource, which keeps
        the bucket -> function -> permission -> bucket cycle away (see the module docstring).
        """
        permission = lambda_.CfnPermission(
            self,
            permission_id,
            action="lambda:InvokeFunction",
            function_name=target.function_arn,
            principal="s3.amazonaws.com",
            source_account=Aws.ACCOUNT_ID,
            source_arn=self.bucket_arn,
        )
        self._notifications.append(
            s3.CfnBucket.LambdaConfigurationProperty(
                event="s3:ObjectCreated:*",
                function=target.function_arn,
                filter=s3.CfnBucket.NotificationFilterProperty(
                    s3_key=s3.CfnBucket.S3KeyFilterProperty(
                        rules=[s3.CfnBucket.FilterRuleProperty(name="prefix", value=prefix)]
                    )
                ),
            )
        )
        cfn_bucket = self.bucket.node.default_child
        assert isinstance(cfn_bucket, s3.CfnBucket)
        cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            lambda_configurations=list(self._notifications)
        )
        # S3 test-invokes the destination when the configuration is written.
        cfn_bucket.add_resource_dependency(permission)

    def _build_registration_function(self, data: CatalogData, defaults: FunctionDefaults) -> CatalogFunction:
        registration = CatalogFunction(
            self,
            "Registration",
            spec=function("image-registration"),
            defaults=defaults,
            settings={
                "products_table_name": data.products.table_name,
                "images_bucket_name": self.bucket_name,
            },
            timeout=Duration.seconds(30),
        )
        registration.grant(
            "ReadAndRemoveUploads",
            actions=["s3:GetObject", "s3:DeleteObject"],
            resources=[self.objects_arn(UPLOAD_PREFIX)],
        )
        # Without ListBucket, HeadObject on a missing key is a 403, not a 404: a redelivered event
        # for an upload that was already promoted would fail and retry instead of being skipped.
        registration.grant("TellMissingUploadsApart", actions=["s3:ListBucket"], resources=[self.bucket_arn])
        registration.grant(
            "PromoteToImages", actions=["s3:PutObject"], resources=[self.objects_arn(IMAGE_PREFIX)]
        )
        registration.grant(
            "RegisterOnProduct",
            actions=["dynamodb:GetItem", "dynamodb:UpdateItem"],
            resources=[data.products.table_arn],
        )
        registration.grant(
            "UseTableKey", actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[data.key.key_arn]
        )
        registration.grant(
            "ParkFailedEvents", actions=["sqs:SendMessage"], resources=[self.registration_failures.queue_arn]
        )
        park_async_failures(self, "RegistrationAsyncInvoke", registration, self.registration_failures)
        for prefix in (UPLOAD_PREFIX, IMAGE_PREFIX):
            acknowledge(
                registration.role,
                "AwsSolutions-IAM5",
                "Object-level S3 actions are scoped to the one key prefix the function works on "
                "(uploads/ to check and remove, images/ to promote into); keys are generated per image.",
                finding=self.nag_objects_finding(prefix),
            )
        return registration
