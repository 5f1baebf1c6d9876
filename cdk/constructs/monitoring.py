"""Alarms and the operations dashboard.

Alarms go to an encrypted alarm topic (and to the alert e-mail when one is configured):
5xx on both APIs, spikes of requests the web ACLs block, errors and throttles of every function,
the projector's iterator age (the projection lag), the depth of every dead-letter / on-failure
queue (a failed bulk job among them) and the age of the bulk jobs' waiting work (a stuck job).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Aws, Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk.config import StackConfig
from cdk.constructs.firewall import ApiFirewall

_PERIOD = Duration.minutes(5)


class Monitoring(Construct):
    """Alarm topic, one alarm per failure signal, and a dashboard of the whole flow."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        apis: Mapping[str, apigw.RestApi],
        firewalls: Mapping[str, ApiFirewall],
        functions: Mapping[str, lambda_.IFunction],
        projector: lambda_.IFunction,
        queues: Mapping[str, sqs.IQueue],
        oldest_unpublished_age: cloudwatch.IMetric,
        work_queues: Mapping[str, sqs.IQueue],
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.alarm_topic = self._build_alarm_topic()
        self._action = actions.SnsAction(self.alarm_topic)
        self.alarms: list[cloudwatch.Alarm] = []
        for name, api in apis.items():
            self._alarm(
                f"{name}-api-5xx",
                api.metric_server_error(period=_PERIOD, statistic="Sum"),
                threshold=1,
                description=f"The {name} API answered 5xx",
            )
        for name, firewall in firewalls.items():
            self._alarm(
                f"{name}-waf-blocked",
                firewall.metric_blocked_requests(),
                threshold=config.firewall.blocked_alarm_threshold,
                description=f"The {name} API's web ACL blocked a spike of requests (attack or a client "
                "over its rate limit); its sampled requests name the rule",
            )
        for key, fn in functions.items():
            self._alarm(
                f"{key}-errors",
                fn.metric_errors(period=_PERIOD, statistic="Sum"),
                threshold=1,
                description=f"{key} raised errors (unhandled exceptions or timeouts)",
            )
            self._alarm(
                f"{key}-throttles",
                fn.metric_throttles(period=_PERIOD, statistic="Sum"),
                threshold=1,
                description=f"{key} was throttled (concurrency limit)",
            )
        self._alarm(
            "projection-lag",
            projector.metric("IteratorAge", period=Duration.minutes(1), statistic="Maximum"),
            threshold=config.iterator_age_alarm_seconds * 1000,
            evaluation_periods=3,
            description="The projector is behind the products stream: public reads are getting stale",
        )
        # Missing data breaches: the sweep reports the age every minute, so silence means it stopped.
        self._alarm(
            "unpublished-events",
            oldest_unpublished_age,
            threshold=config.event_log.unpublished_age_alarm_seconds,
            evaluation_periods=2,
            description="Logged events wait to be published (SNS refuses them, or the sweep is not running)",
            missing_data=cloudwatch.TreatMissingData.BREACHING,
        )
        for name, queue in queues.items():
            self._alarm(
                f"{name}-queue-depth",
                queue.metric_approximate_number_of_messages_visible(
                    period=Duration.minutes(1), statistic="Maximum"
                ),
                threshold=1,
                description=f"Records were parked in {name}; inspect and replay them",
            )
        for name, queue in work_queues.items():
            # A job's messages wait only while the workers are busy; an old one means a stuck job.
            self._alarm(
                f"{name}-stuck",
                queue.metric_approximate_age_of_oldest_message(
                    period=Duration.minutes(1), statistic="Maximum"
                ),
                threshold=config.bulk.stuck_job_alarm_minutes * 60,
                evaluation_periods=3,
                description=f"Work in {name} has waited over {config.bulk.stuck_job_alarm_minutes} minutes: "
                "a bulk job is stuck (consumers failing, throttled or disabled)",
            )
        self.dashboard = self._build_dashboard(apis, firewalls, functions, projector, queues)
        self._add_bulk_job_widgets(work_queues)

    def _add_bulk_job_widgets(self, work_queues: Mapping[str, sqs.IQueue]) -> None:
        namespace = self._config.metrics_namespace
        service = {"service": self._config.service_name}
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Bulk jobs: waiting work and its age (s)",
                left=[
                    queue.metric_approximate_number_of_messages_visible(
                        period=Duration.minutes(1), statistic="Maximum", label=f"{name} waiting"
                    )
                    for name, queue in work_queues.items()
                ],
                right=[
                    queue.metric_approximate_age_of_oldest_message(
                        period=Duration.minutes(1), statistic="Maximum", label=f"{name} oldest"
                    )
                    for name, queue in work_queues.items()
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Bulk jobs: rows and files",
                left=[
                    cloudwatch.Metric(
                        namespace=namespace,
                        metric_name=name,
                        dimensions_map=service,
                        period=_PERIOD,
                        statistic="Sum",
                    )
                    for name in ("ImportRowsApplied", "ImportRowsFailed")
                ],
                right=[
                    cloudwatch.Metric(
                        namespace=namespace,
                        metric_name=name,
                        dimensions_map=service,
                        period=_PERIOD,
                        statistic="Sum",
                    )
                    for name in ("ImportsStarted", "ImportsRejected", "ExportsFinished")
                ],
                width=12,
            ),
        )

    def _build_alarm_topic(self) -> sns.Topic:
        key = kms.Key(
            self,
            "AlarmTopicKey",
            description=f"{self._config.prefix}: encrypts alarm notifications",
            enable_key_rotation=True,
            removal_policy=self._config.removal_policy,
        )
        alarms_in_this_region = f"arn:{Aws.PARTITION}:cloudwatch:{Aws.REGION}:{Aws.ACCOUNT_ID}:alarm:*"
        # CloudWatch publishes to the encrypted topic as a service; only alarms of this account may.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudWatchAlarmsPublishEncrypted",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnLike": {"aws:SourceArn": alarms_in_this_region},
                },
            )
        )
        topic = sns.Topic(self, "AlarmTopic", display_name="Catalog alarms", master_key=key, enforce_ssl=True)
        if self._config.alert_email:
            topic.add_subscription(subscriptions.EmailSubscription(self._config.alert_email))
        return topic

    def _alarm(
        self,
        name: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        description: str,
        evaluation_periods: int = 1,
        missing_data: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
    ) -> None:
        alarm = cloudwatch.Alarm(
            self,
            name,
            alarm_name=f"{self._config.prefix}-{name}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=missing_data,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)

    def _build_dashboard(
        self,
        apis: Mapping[str, apigw.RestApi],
        firewalls: Mapping[str, ApiFirewall],
        functions: Mapping[str, lambda_.IFunction],
        projector: lambda_.IFunction,
        queues: Mapping[str, sqs.IQueue],
    ) -> cloudwatch.Dashboard:
        dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"{self._config.prefix}-operations",
            default_interval=Duration.hours(3),
        )
        dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24, height=4),
        )
        for name, api in apis.items():
            dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title=f"{name} API requests",
                    left=[api.metric_count(period=_PERIOD, statistic="Sum")],
                    right=[
                        api.metric_client_error(period=_PERIOD, statistic="Sum"),
                        api.metric_server_error(period=_PERIOD, statistic="Sum"),
                    ],
                    width=12,
                ),
                cloudwatch.GraphWidget(
                    title=f"{name} API latency",
                    left=[
                        api.metric_latency(period=_PERIOD, statistic="p50"),
                        api.metric_latency(period=_PERIOD, statistic="p99"),
                        api.metric_integration_latency(period=_PERIOD, statistic="p99"),
                    ],
                    width=12,
                ),
            )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Requests blocked by the web ACLs",
                left=[
                    firewall.metric_blocked_requests().with_(label=name)
                    for name, firewall in firewalls.items()
                ],
                width=24,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Function errors",
                left=[
                    fn.metric_errors(period=_PERIOD, statistic="Sum", label=key)
                    for key, fn in functions.items()
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Function duration p99",
                left=[
                    fn.metric_duration(period=_PERIOD, statistic="p99", label=key)
                    for key, fn in functions.items()
                ],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Projection lag (iterator age, ms)",
                left=[projector.metric("IteratorAge", period=Duration.minutes(1), statistic="Maximum")],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Parked records",
                left=[
                    queue.metric_approximate_number_of_messages_visible(
                        period=Duration.minutes(1), statistic="Maximum", label=name
                    )
                    for name, queue in queues.items()
                ],
                width=12,
            ),
        )
        return dashboard
