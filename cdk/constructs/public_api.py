"""The public read API: the query functions and a REST API that only CloudFront can call.

The API has no user authentication (the catalog is public), but every method requires an API key,
and the only holder of the key is the CloudFront distribution, which sends it as the origin custom
header ``x-api-key``. The key's value is a generated Secrets Manager secret, resolved by
CloudFormation through a dynamic reference, so it never appears in the template or in this code.
Direct calls to the ``execute-api`` endpoint get 403 and never reach a function or the cache-less
origin, so the CDN's cache and throttling cannot be bypassed.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_kms as kms
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from cdk.config import StackConfig
from cdk.constructs.data import CatalogData, index_arns
from cdk.constructs.function import CatalogFunction, FunctionDefaults, SettingValue
from cdk.constructs.rest_api import (
    ApiGatewayLogging,
    MethodAuth,
    RequestValidation,
    access_log_group,
    add_problem_responses,
    add_routes,
    stage_options,
)
from cdk.nag import acknowledge
from shared.routes import ROUTES, function
from shared.tables import DISCOVERY_INDEXES

PUBLIC_ROUTES = tuple(route for route in ROUTES if not route.path.startswith("/admin"))
ORIGIN_KEY_HEADER = "x-api-key"


class PublicApi(Construct):
    """Query functions, the cursor-signing secret, the origin key and the public REST API."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        data: CatalogData,
        defaults: FunctionDefaults,
        api_logging: ApiGatewayLogging,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self.cursor_secret = self._build_secret(
            "CursorSigningKey",
            "HMAC key that signs public listing cursors (query functions only)",
            key=data.key,
            rotation="Rotating the cursor-signing key invalidates every cursor clients hold (their next page "
            "is a 400), so it is replaced deliberately, by deploying a new secret, not on a schedule.",
        )
        self.origin_key_secret = self._build_secret(
            "OriginKey",
            "API key CloudFront sends to the public API; nobody else holds it",
            key=data.key,
            rotation="Shared by exactly two parties of this stack (CloudFront's origin header, the API key); "
            "both must change in one deployment, which replacing the secret does without a rotation Lambda.",
        )
        self.functions = self._build_functions(data, defaults)
        self.api = self._build_api(api_logging)
        self._build_usage_plan()

    def origin_key_value(self) -> str:
        """The origin key as a CloudFormation dynamic reference (resolved at deploy time only)."""
        return self.origin_key_secret.secret_value.unsafe_unwrap()

    def _build_secret(
        self, construct_id: str, description: str, *, key: kms.IKey, rotation: str
    ) -> secretsmanager.Secret:
        # The table key: the query functions already hold kms:Decrypt on it, so no new grant.
        secret = secretsmanager.Secret(
            self,
            construct_id,
            description=f"{self._config.prefix}: {description}",
            encryption_key=key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False
            ),
            removal_policy=self._config.removal_policy,
        )
        acknowledge(secret, "AwsSolutions-SMG4", rotation)
        return secret

    def _build_functions(self, data: CatalogData, defaults: FunctionDefaults) -> dict[str, CatalogFunction]:
        cache = self._config.cache
        settings: dict[str, SettingValue] = {
            "views_table_name": data.views.table_name,
            "cursor_secret_arn": self.cursor_secret.secret_arn,
            "cache_max_age": cache.max_age,
            "cache_s_maxage": cache.s_maxage,
            "cache_stale_while_revalidate": cache.stale_while_revalidate,
            "not_found_max_age": cache.not_found_max_age,
        }
        functions = {
            key: CatalogFunction(
                self,
                key.removeprefix("public-").title(),
                spec=function(key),
                defaults=defaults,
                settings=settings,
                timeout=Duration.seconds(10),
            )
            for key in ("public-products", "public-categories")
        }
        for query in functions.values():
            query.grant("UseTableKey", actions=["kms:Decrypt"], resources=[data.key.key_arn])

        products = functions["public-products"]
        products.grant("ReadProductViews", actions=["dynamodb:GetItem"], resources=[data.views.table_arn])
        # Listings read one page from a discovery index; the base table is never queried.
        products.grant(
            "PageListings", actions=["dynamodb:Query"], resources=index_arns(data.views, DISCOVERY_INDEXES)
        )
        products.grant(
            "ReadCursorKey",
            actions=["secretsmanager:GetSecretValue"],
            resources=[self.cursor_secret.secret_arn],
        )
        # Category counts are one partition of the views table; no cursor, no index.
        functions["public-categories"].grant(
            "ReadCategoryCounts", actions=["dynamodb:Query"], resources=[data.views.table_arn]
        )
        return functions

    def _build_api(self, api_logging: ApiGatewayLogging) -> apigw.RestApi:
        api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=f"{self._config.prefix}-public",
            description="Catalog public API (read views); reachable through CloudFront only",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=False,
            api_key_source_type=apigw.ApiKeySourceType.HEADER,
            deploy_options=stage_options(
                self._config,
                self._config.public_throttle,
                access_log_group(self, self._config, "public", api_logging.log_key),
                with_principal=False,
            ),
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=apigw.Cors.ALL_ORIGINS,
                allow_methods=["GET", "HEAD", "OPTIONS"],
                allow_headers=["If-None-Match", "Content-Type"],
                max_age=Duration.hours(1),
            ),
        )
        api_logging.logs_before(api)
        add_problem_responses(api, PUBLIC_ROUTES, extra_headers={"Access-Control-Allow-Origin": "'*'"})
        self.methods = add_routes(
            api,
            PUBLIC_ROUTES,
            {key: fn.alias for key, fn in self.functions.items()},
            RequestValidation(self, "Validation", api=api),
            MethodAuth(api_key_required=True),
        )
        for rule, reason in (
            (
                "AwsSolutions-APIG4",
                "The public catalog is anonymous by contract (SPEC: public API, no auth); "
                "every method except CORS preflights requires the API key only CloudFront holds.",
            ),
            (
                "AwsSolutions-COG4",
                "Shoppers are anonymous, so there is no user pool to authorize against; "
                "access is limited to CloudFront by the origin API key instead.",
            ),
        ):
            acknowledge(api, rule, reason)
        return api

    def _build_usage_plan(self) -> None:
        key = apigw.ApiKey(
            self,
            "CloudFrontKey",
            description="Sent by CloudFront as x-api-key; proves a request came through the CDN",
            value=self.origin_key_value(),
            enabled=True,
        )
        plan = self.api.add_usage_plan(
            "CloudFrontPlan",
            name=f"{self._config.prefix}-cloudfront",
            description="The CDN's allowance on the public API",
            throttle=apigw.ThrottleSettings(
                rate_limit=int(self._config.public_throttle.rate_limit),
                burst_limit=self._config.public_throttle.burst_limit,
            ),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.api, stage=self.api.deployment_stage)],
        )
        plan.add_api_key(key)
