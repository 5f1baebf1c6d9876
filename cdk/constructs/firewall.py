"""The web application firewall in front of one REST API stage.

A REGIONAL web ACL associated with the stage, not a CLOUDFRONT one on the distribution: CloudFront
web ACLs exist only in us-east-1, and this is one stack in the catalog's region (decision in
``docs/decisions.md``). Each ACL runs the AWS managed common rule set and known-bad-inputs rule set,
then a per-client rate limit. The admin API is called directly, so its clients are keyed by source
IP; the public API is called by CloudFront only, so its clients are keyed by the viewer address
CloudFront forwards in ``X-Forwarded-For``.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from cdk.config import StackConfig

MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")
# The common rule set blocks bodies over 8 KiB; the API's own limit is 64 KiB (413), so that
# one rule only counts and the API keeps answering with its contract.
COUNTED_MANAGED_RULES = {"AWSManagedRulesCommonRuleSet": ("SizeRestrictions_BODY",)}
RATE_RULE = "per-client-rate-limit"
FORWARDED_FOR_HEADER = "X-Forwarded-For"


class ApiFirewall(Construct):
    """A REGIONAL web ACL with managed rules and a per-client rate limit, bound to one API stage."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        api_name: str,
        stage: apigw.Stage,
        rate_limit: int,
        behind_cloudfront: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        self.name = f"{config.prefix}-{api_name}"
        self._window = config.firewall.window_seconds
        self._region = config.region  # a literal: a token would turn the alarm into metric math
        rules = [self._managed_rule(group, priority) for priority, group in enumerate(MANAGED_RULE_GROUPS)]
        rules.append(self._rate_rule(len(rules), rate_limit, behind_cloudfront=behind_cloudfront))
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=self.name,
            description=f"{config.prefix}: managed rules and a per-client rate limit for the {api_name} API",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=rules,
            visibility_config=self._visibility(self.name),
        )
        self.association = wafv2.CfnWebACLAssociation(
            self, "Association", resource_arn=stage.stage_arn, web_acl_arn=self.web_acl.attr_arn
        )

    def metric_blocked_requests(self) -> cloudwatch.Metric:
        """Requests any rule of this web ACL blocked, summed over five minutes."""
        return cloudwatch.Metric(
            namespace="AWS/WAFV2",
            metric_name="BlockedRequests",
            dimensions_map={"WebACL": self.name, "Region": self._region, "Rule": "ALL"},
            statistic="Sum",
            period=Duration.minutes(5),
        )

    def _visibility(self, metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
        return wafv2.CfnWebACL.VisibilityConfigProperty(
            cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
        )

    def _managed_rule(self, group: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
        overrides = [
            wafv2.CfnWebACL.RuleActionOverrideProperty(
                name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
            )
            for rule in COUNTED_MANAGED_RULES.get(group, ())
        ]
        return wafv2.CfnWebACL.RuleProperty(
            name=group,
            priority=priority,
            statement=wafv2.CfnWebACL.StatementProperty(
                managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                    vendor_name="AWS", name=group, rule_action_overrides=overrides or None
                )
            ),
            override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
            visibility_config=self._visibility(f"{self.name}-{group}"),
        )

    def _rate_rule(
        self, priority: int, limit: int, *, behind_cloudfront: bool
    ) -> wafv2.CfnWebACL.RuleProperty:
        rate = wafv2.CfnWebACL.RateBasedStatementProperty(
            limit=limit,
            evaluation_window_sec=self._window,
            aggregate_key_type="FORWARDED_IP" if behind_cloudfront else "IP",
            # Every request reaching the public stage comes from CloudFront, which always adds the
            # viewer's address; without the header a request did not come through CloudFront, and
            # it is counted (MATCH) rather than let through unlimited.
            forwarded_ip_config=wafv2.CfnWebACL.ForwardedIPConfigurationProperty(
                header_name=FORWARDED_FOR_HEADER, fallback_behavior="MATCH"
            )
            if behind_cloudfront
            else None,
        )
        return wafv2.CfnWebACL.RuleProperty(
            name=RATE_RULE,
            priority=priority,
            statement=wafv2.CfnWebACL.StatementProperty(rate_based_statement=rate),
            action=wafv2.CfnWebACL.RuleActionProperty(block={}),
            visibility_config=self._visibility(f"{self.name}-{RATE_RULE}"),
        )
