"""The one stack of the catalog: it builds the capabilities in dependency order and wires them."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cdk.config import StackConfig
from cdk.constructs.access_logs import AccessLogs
from cdk.constructs.admin_api import AdminApi
from cdk.constructs.admin_console import AdminConsole
from cdk.constructs.bulk_jobs import CatalogBulkJobs
from cdk.constructs.data import CatalogData
from cdk.constructs.dependency_layer import DependencyLayer
from cdk.constructs.edge import Edge
from cdk.constructs.event_publishing import EventPublishing
from cdk.constructs.firewall import ApiFirewall
from cdk.constructs.function import FunctionDefaults
from cdk.constructs.images import CatalogImages
from cdk.constructs.log_encryption import LogEncryption
from cdk.constructs.monitoring import Monitoring
from cdk.constructs.projection import Projection
from cdk.constructs.public_api import PublicApi
from cdk.constructs.rest_api import ApiGatewayLogging
from cdk.tagging import tag_stack


class CatalogStack(Stack):
    """Data, images, bulk jobs, public API, edge, admin API and console, projection and monitoring."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: StackConfig, code: lambda_.Code, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.log_encryption = LogEncryption(self, "LogEncryption", config=config)
        defaults = self._function_defaults(code)
        self.access_logs = AccessLogs(self, "AccessLogs", config=config)
        self.data = CatalogData(self, "Data", config=config)
        self.images = CatalogImages(
            self,
            "Images",
            config=config,
            data=self.data,
            defaults=defaults,
            access_logs=self.access_logs.bucket,
        )
        self.bulk = CatalogBulkJobs(
            self, "BulkJobs", config=config, data=self.data, images=self.images, defaults=defaults
        )
        api_logging = ApiGatewayLogging(self, "ApiGatewayLogging", log_key=self.log_encryption.key)
        self.public = PublicApi(
            self, "Public", config=config, data=self.data, defaults=defaults, api_logging=api_logging
        )
        self.edge = Edge(
            self,
            "Edge",
            config=config,
            public_api=self.public,
            images=self.images,
            access_logs=self.access_logs.bucket,
        )
        # After the edge: the console is served from the distribution's domain, which the sign-in
        # client's redirect URLs and the API's and the upload bucket's CORS origins name.
        self.admin = AdminApi(
            self,
            "Admin",
            config=config,
            data=self.data,
            images=self.images,
            bulk=self.bulk,
            defaults=defaults,
            api_logging=api_logging,
            console_origins=self.edge.viewer_origins,
        )
        self.images.allow_uploads_from(self.admin.allowed_origins)
        self.console = AdminConsole(
            self,
            "AdminConsole",
            config=config,
            edge=self.edge,
            admin=self.admin,
            images=self.images,
            access_logs=self.access_logs.bucket,
            log_encryption=self.log_encryption,
        )
        firewall = config.firewall
        self.firewalls = {
            "admin": ApiFirewall(
                self,
                "AdminFirewall",
                config=config,
                api_name="admin",
                stage=self.admin.api.deployment_stage,
                rate_limit=firewall.admin_rate_limit,
                behind_cloudfront=False,
            ),
            "public": ApiFirewall(
                self,
                "PublicFirewall",
                config=config,
                api_name="public",
                stage=self.public.api.deployment_stage,
                rate_limit=firewall.public_rate_limit,
                behind_cloudfront=True,
            ),
        }
        self.projection = Projection(
            self,
            "Projection",
            config=config,
            data=self.data,
            defaults=defaults,
            images_base_url=self.edge.base_url,
        )
        self.publishing = EventPublishing(
            self,
            "EventPublishing",
            config=config,
            data=self.data,
            defaults=defaults,
            topic=self.projection.inventory_topic,
            topic_key=self.projection.topic_key,
        )
        self.functions = {
            **self.admin.functions,
            **self.public.functions,
            "image-registration": self.images.registration,
            "projector": self.projection.projector,
            "event-publisher": self.publishing.publisher,
            **self.bulk.functions,
        }
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            config=config,
            apis={"admin": self.admin.api, "public": self.public.api},
            firewalls=self.firewalls,
            functions={key: fn.function for key, fn in self.functions.items()},
            projector=self.projection.projector.function,
            queues={
                "projection-failures": self.projection.failures,
                "image-registration-failures": self.images.registration_failures,
                "event-publisher-failures": self.publishing.failures,
                "import-start-failures": self.bulk.start_failures,
                "import-batch-failures": self.bulk.batch_failures,
                "export-job-failures": self.bulk.export_failures,
            },
            oldest_unpublished_age=self.publishing.oldest_unpublished_age,
            work_queues={"import-batches": self.bulk.batch_queue, "export-jobs": self.bulk.export_queue},
        )
        self._build_outputs()
        tag_stack(self, prefix=config.prefix, environment=config.stage, owner=config.owner)

    def _function_defaults(self, code: lambda_.Code) -> FunctionDefaults:
        self.dependency_layer = DependencyLayer(self, "Dependencies")
        return FunctionDefaults(
            code=code,
            layers=[self.dependency_layer.layer],
            log_group_prefix=self.config.log_group_prefix,
            log_key=self.log_encryption.key,
            log_retention=self.config.log_retention,
            log_removal_policy=self.config.removal_policy,
            log_level=self.config.log_level,
            service_name=self.config.service_name,
            metrics_namespace=self.config.metrics_namespace,
            snap_start=self.config.snap_start,
        )

    def _build_outputs(self) -> None:
        outputs = {
            "AdminApiUrl": self.admin.api.url,
            "ConsoleUrl": self.console.url,
            "SignInDomainUrl": self.admin.sign_in_url,
            "PublicApiUrl": self.edge.base_url + "/",
            "PublicApiOriginUrl": self.public.api.url,
            "DistributionDomainName": self.edge.distribution.distribution_domain_name,
            "DistributionId": self.edge.distribution.distribution_id,
            "InventoryTopicArn": self.projection.inventory_topic.topic_arn,
            "AlarmTopicArn": self.monitoring.alarm_topic.topic_arn,
            "ImagesBucketName": self.images.bucket_name,
            "UserPoolId": self.admin.user_pool.user_pool_id,
            "UserPoolClientId": self.admin.user_pool_client.user_pool_client_id,
            "ProductsTableName": self.data.products.table_name,
            "ViewsTableName": self.data.views.table_name,
            "IdempotencyTableName": self.data.idempotency.table_name,
            "EventLogTableName": self.data.event_log.table_name,
            "JobsTableName": self.data.jobs.table_name,
            "ProjectionFailureQueueUrl": self.projection.failures.queue_url,
            "DashboardName": self.monitoring.dashboard.dashboard_name,
        }
        for output_id, value in outputs.items():
            output = CfnOutput(self, output_id, value=value)
            # Stable logical ids: scripts and tests read outputs by these names.
            output.override_logical_id(output_id)
