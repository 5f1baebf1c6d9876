"""The admin write API: Cognito sign-in, the command functions and their REST API.

Admins sign in to the console with the user pool's hosted UI (authorization code flow with PKCE,
a public client without a secret); its callback and sign-out URLs are the console's pages on every
origin the distribution answers on. The console's origins come first among the API's CORS
origins, before ``admin_allowed_origins``.

Every ``/admin`` method carries the Cognito authorizer (an ID token of the user pool); membership of
``catalog-admins`` is checked again by the functions, which answer 403 to other users. Bodies are
validated by API Gateway against models generated from the pydantic request models before a
function runs, and again by the function itself.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws, Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from admin_console.config import CALLBACK_PAGE, CONSOLE_PATH
from cdk.config import StackConfig
from cdk.constructs.bulk_jobs import CatalogBulkJobs
from cdk.constructs.data import CatalogData, index_arns
from cdk.constructs.function import CatalogFunction, FunctionDefaults, SettingValue
from cdk.constructs.images import CatalogImages
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
from shared.http_names import ADMIN_GROUP
from shared.routes import ROUTES, function
from shared.tables import ADMIN_INDEXES, EXPORT_PREFIX, IMAGE_PREFIX, IMPORT_PREFIX, UPLOAD_PREFIX

ADMIN_ROUTES = tuple(route for route in ROUTES if route.path.startswith("/admin"))
# The headers the admin console sends (see shared.http.admin_resolver, which answers real requests).
_CORS_HEADERS = ["Authorization", "Content-Type", "If-Match", "Idempotency-Key"]
# What the console asks for: the ID token then carries the e-mail and name it shows.
SIGN_IN_SCOPES = (cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE)
_IDEMPOTENCY_ACTIONS = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]


class AdminApi(Construct):
    """User pool and admin group, the three command functions and the admin REST API."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        data: CatalogData,
        images: CatalogImages,
        bulk: CatalogBulkJobs,
        defaults: FunctionDefaults,
        api_logging: ApiGatewayLogging,
        console_origins: Sequence[str],
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._console_origins = tuple(console_origins)
        # The console's own origins first: a gateway response can name only one (see _build_api).
        self.allowed_origins = tuple(dict.fromkeys([*console_origins, *config.admin_allowed_origins]))
        self.user_pool = self._build_user_pool()
        self.sign_in_domain = self._build_sign_in_domain()
        self.user_pool_client = self._build_user_pool_client()
        self.functions = self._build_functions(data, images, bulk, defaults)
        self.api = self._build_api(api_logging)

    def _build_user_pool(self) -> cognito.UserPool:
        pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=f"{self._config.prefix}-admins",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            password_policy=cognito.PasswordPolicy(
                min_length=14,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=self._config.is_production,
            removal_policy=self._config.removal_policy,
        )
        cognito.CfnUserPoolGroup(
            self,
            "CatalogAdminsGroup",
            user_pool_id=pool.user_pool_id,
            group_name=ADMIN_GROUP,
            description="Members may call the catalog admin API",
        )
        acknowledge(
            pool,
            "AwsSolutions-COG8",
            "Threat protection (advanced security) needs the paid Cognito Plus plan; the pool holds only "
            "staff accounts an administrator creates, MFA is required and passwords are 14+ characters.",
        )
        return pool

    def _build_sign_in_domain(self) -> cognito.UserPoolDomain:
        # Cognito prefix domains are global per region: the account id keeps two accounts' stages apart.
        return self.user_pool.add_domain(
            "SignIn",
            cognito_domain=cognito.CognitoDomainOptions(
                domain_prefix=f"{self._config.prefix}-{Aws.ACCOUNT_ID}"
            ),
        )

    @property
    def origin(self) -> str:
        """``https://<api id>.execute-api.<region>.amazonaws.com``: the origin browsers call the API on.

        Built from the API's id alone, not its stage, so the distribution's console policy can name
        it without depending on the deployment (whose functions depend on the distribution).
        """
        return f"https://{self.api.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}"

    @property
    def base_url(self) -> str:
        """The stage's URL without a trailing slash: the console appends ``/admin/...`` to it."""
        return f"{self.origin}/{self.api.deployment_stage.stage_name}"

    @property
    def sign_in_url(self) -> str:
        """``https://<prefix>.auth.<region>.amazoncognito.com``: the hosted UI and its OAuth endpoints."""
        return self.sign_in_domain.base_url()

    def console_urls(self, page: str = "") -> list[str]:
        """``page`` of the console on every origin that may sign in (Cognito's redirect allow-list).

        The distribution's origins, then each configured admin origin Cognito accepts as a redirect
        (https, or http://localhost for a developer's machine).
        """
        extra = [
            origin
            for origin in self._config.admin_allowed_origins
            if origin.startswith(("https://", "http://localhost"))
        ]
        origins = dict.fromkeys([*self._console_origins, *extra])
        return [f"{origin}{CONSOLE_PATH}{page}" for origin in origins]

    def _build_user_pool_client(self) -> cognito.UserPoolClient:
        return self.user_pool.add_client(
            "AdminConsole",
            user_pool_client_name=f"{self._config.prefix}-admin-console",
            # A browser app cannot keep a secret: a public client, whose code exchange PKCE protects.
            generate_secret=False,
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=False),
                scopes=list(SIGN_IN_SCOPES),
                callback_urls=self.console_urls(CALLBACK_PAGE),
                logout_urls=self.console_urls(),
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            auth_flows=cognito.AuthFlow(user_srp=True),
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(12),
        )

    def _build_functions(
        self, data: CatalogData, images: CatalogImages, bulk: CatalogBulkJobs, defaults: FunctionDefaults
    ) -> dict[str, CatalogFunction]:
        settings: dict[str, SettingValue] = {
            "products_table_name": data.products.table_name,
            "idempotency_table_name": data.idempotency.table_name,
            "admin_allowed_origins": self.allowed_origins,
            "idempotency_ttl_seconds": self._config.idempotency_ttl_seconds,
            "images_bucket_name": images.bucket_name,
            "admin_image_url_ttl_seconds": self._config.admin_image_url_ttl_seconds,
            "upload_url_ttl_seconds": self._config.upload_url_ttl_seconds,
            "event_log_table_name": data.event_log.table_name,
            "views_table_name": data.views.table_name,
            "jobs_table_name": data.jobs.table_name,
            "export_jobs_queue_url": bulk.export_queue.queue_url,
        }
        functions = {
            key: CatalogFunction(
                self,
                key.removeprefix("admin-").title(),
                spec=function(key),
                defaults=defaults,
                settings=settings,
                timeout=Duration.seconds(10),
            )
            for key in ("admin-products", "admin-inventory", "admin-images", "admin-listing", "admin-bulk")
        }
        commands = ("admin-products", "admin-inventory", "admin-images", "admin-bulk")
        for command in (functions[key] for key in commands):
            command.grant(
                "UseIdempotencyRecords", actions=_IDEMPOTENCY_ACTIONS, resources=[data.idempotency.table_arn]
            )
            command.grant("UseTableKey", actions=["kms:Decrypt"], resources=[data.key.key_arn])

        products = functions["admin-products"]
        # Create, replace and delete are transactions of Put/Delete on the product and its SKU guard.
        products.grant(
            "ReadAndWriteProducts",
            actions=["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
            resources=[data.products.table_arn],
        )
        # A product's history is one Query on its partition of the event log.
        products.grant("ReadProductHistory", actions=["dynamodb:Query"], resources=[data.event_log.table_arn])
        # Admin reads show presigned GETs (signed with this role); deleting a product removes its images.
        products.grant(
            "PresignAndRemoveImages",
            actions=["s3:GetObject", "s3:DeleteObject"],
            resources=[images.objects_arn(IMAGE_PREFIX)],
        )

        # One conditional UpdateItem: no read first, so concurrent decrements can never oversell.
        functions["admin-inventory"].grant(
            "AdjustStock", actions=["dynamodb:UpdateItem"], resources=[data.products.table_arn]
        )

        image_commands = functions["admin-images"]
        image_commands.grant(
            "ReadAndUpdateProducts",
            actions=["dynamodb:GetItem", "dynamodb:UpdateItem"],
            resources=[data.products.table_arn],
        )
        # The presigned POST is signed with this role, so the role must be allowed the upload itself.
        image_commands.grant(
            "PresignUploads", actions=["s3:PutObject"], resources=[images.objects_arn(UPLOAD_PREFIX)]
        )
        image_commands.grant(
            "RemoveImages", actions=["s3:DeleteObject"], resources=[images.objects_arn(IMAGE_PREFIX)]
        )

        listing = functions["admin-listing"]
        # A query function: it pages the admin indexes of the read views and nothing else.
        listing.grant(
            "PageAdminListing", actions=["dynamodb:Query"], resources=index_arns(data.views, ADMIN_INDEXES)
        )
        listing.grant("UseTableKey", actions=["kms:Decrypt"], resources=[data.key.key_arn])
        # Listed products show presigned GETs of their images, signed with this role.
        listing.grant("PresignImages", actions=["s3:GetObject"], resources=[images.objects_arn(IMAGE_PREFIX)])

        bulk_api = functions["admin-bulk"]
        bulk_api.grant(
            "CreateAndReadJobs",
            actions=["dynamodb:GetItem", "dynamodb:PutItem"],
            resources=[data.jobs.table_arn],
        )
        # Presigned POSTs of import files and presigned GETs of errors files and exports are
        # signed with this role, so the role must be allowed those object operations.
        bulk_api.grant(
            "PresignImportFiles",
            actions=["s3:PutObject", "s3:GetObject"],
            resources=[images.objects_arn(IMPORT_PREFIX)],
        )
        bulk_api.grant(
            "PresignExports", actions=["s3:GetObject"], resources=[images.objects_arn(EXPORT_PREFIX)]
        )
        bulk_api.grant("QueueExports", actions=["sqs:SendMessage"], resources=[bulk.export_queue.queue_arn])
        # The export queue is encrypted with the table key: sending encrypts with it.
        bulk_api.grant("EncryptExportRequests", actions=["kms:GenerateDataKey"], resources=[data.key.key_arn])

        for command, prefix in (
            (products, IMAGE_PREFIX),
            (listing, IMAGE_PREFIX),
            (bulk_api, IMPORT_PREFIX),
            (bulk_api, EXPORT_PREFIX),
            (image_commands, UPLOAD_PREFIX),
            (image_commands, IMAGE_PREFIX),
        ):
            acknowledge(
                command.role,
                "AwsSolutions-IAM5",
                "Object-level S3 actions are scoped to one key prefix this function works on; object keys "
                "are generated per upload or job, so no narrower static resource exists.",
                finding=images.nag_objects_finding(prefix),
            )
        return functions

    def _build_api(self, api_logging: ApiGatewayLogging) -> apigw.RestApi:
        origins = list(self.allowed_origins)
        api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=f"{self._config.prefix}-admin",
            description="Catalog admin API: product, stock and image commands",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=False,  # one account-level role for both APIs: ApiGatewayLogging
            deploy_options=stage_options(
                self._config,
                self._config.admin_throttle,
                access_log_group(self, self._config, "admin", api_logging.log_key),
                with_principal=True,
            ),
            default_cors_preflight_options=(
                apigw.CorsOptions(
                    allow_origins=origins,
                    allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                    allow_headers=_CORS_HEADERS,
                    max_age=Duration.minutes(10),
                )
                if origins
                else None
            ),
        )
        api_logging.logs_before(api)
        # A browser can only read an error from another origin when CORS headers are on it. The gateway
        # cannot pick among several origins (it has no logic), so its own errors (401, 400, 429...)
        # name the first, the console's; other origins still read the functions' errors, which
        # answer each allowed origin.
        add_problem_responses(
            api,
            ADMIN_ROUTES,
            extra_headers={"Access-Control-Allow-Origin": f"'{origins[0]}'"} if origins else None,
        )
        authorizer = apigw.CognitoUserPoolsAuthorizer(
            self,
            "Authorizer",
            cognito_user_pools=[self.user_pool],
            authorizer_name=f"{self._config.prefix}-admins",
            identity_source="method.request.header.Authorization",
            results_cache_ttl=Duration.minutes(5),
        )
        self.methods = add_routes(
            api,
            ADMIN_ROUTES,
            {key: fn.alias for key, fn in self.functions.items()},
            RequestValidation(self, "Validation", api=api),
            MethodAuth(authorizer=authorizer),
        )
        return api
