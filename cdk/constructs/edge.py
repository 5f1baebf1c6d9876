"""The CDN in front of the public catalog: CloudFront for the public API and the images.

- default behaviour -> public REST API (GET/HEAD/OPTIONS), with the origin API key as a custom header;
- ``/images/*`` -> the private images bucket through origin access control (OAC);
- ``/console/*`` -> the admin console's bucket, added by :mod:`cdk.constructs.admin_console`;
- HTTPS only towards viewers and origins, security headers on every response, standard logs to S3.

The cache key is the path plus the normalised public query
(``shared.routes.canonical_public_query``), never ``Authorization`` or cookies; TTLs follow the
origin's ``Cache-Control`` (``s-maxage``) up to a configured ceiling, and a response without
``Cache-Control`` is not cached at all.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Annotations, Aws, Duration
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from cdk.checkov import skip_check
from cdk.config import StackConfig
from cdk.constructs.images import CatalogImages
from cdk.constructs.public_api import ORIGIN_KEY_HEADER, PublicApi
from cdk.nag import acknowledge
from shared.routes import PUBLIC_QUERY_PARAMETERS
from shared.tables import IMAGE_PREFIX

NORMALIZE_QUERY_SOURCE = Path(__file__).resolve().parent.parent / "edge" / "normalize_query.js"
_PRICE_CLASSES = {
    "PriceClass_100": cloudfront.PriceClass.PRICE_CLASS_100,
    "PriceClass_200": cloudfront.PriceClass.PRICE_CLASS_200,
    "PriceClass_All": cloudfront.PriceClass.PRICE_CLASS_ALL,
}
_IMPORTED_BUCKET_POLICY_WARNING = "@aws-cdk/aws-cloudfront-origins:updateImportedBucketPolicyOac"


def security_headers_policy(
    scope: Construct, construct_id: str, *, comment: str, content_security_policy: str
) -> cloudfront.ResponseHeadersPolicy:
    """The security headers every response of the distribution carries, with its behaviour's CSP.

    HSTS for two years (subdomains included), ``nosniff``, ``X-Frame-Options: DENY``,
    ``Referrer-Policy: no-referrer`` (the console's callback URL holds an authorization code that
    must not leak to other sites) and ``content_security_policy``; each overrides what an origin says.
    """
    return cloudfront.ResponseHeadersPolicy(
        scope,
        construct_id,
        comment=comment,
        security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
            strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                access_control_max_age=Duration.days(730), include_subdomains=True, override=True
            ),
            content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
            frame_options=cloudfront.ResponseHeadersFrameOptions(
                frame_option=cloudfront.HeadersFrameOption.DENY, override=True
            ),
            referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
            ),
            content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                content_security_policy=content_security_policy, override=True
            ),
        ),
    )


class Edge(Construct):
    """The CloudFront distribution, its cache/origin/response-header policies and the OAC grant."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StackConfig,
        public_api: PublicApi,
        images: CatalogImages,
        access_logs: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        # JSON and images only: nothing served here may run scripts or be framed.
        security_headers = security_headers_policy(
            self,
            "SecurityHeaders",
            comment="HSTS, nosniff, no framing, no referrer, nothing executable",
            content_security_policy="default-src 'none'; frame-ancestors 'none'",
        )
        custom_domain = config.domain_name if config.certificate_arn else None
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"{config.prefix}: public catalog API and product images",
            default_behavior=self._build_api_behavior(public_api, security_headers),
            additional_behaviors={
                f"/{IMAGE_PREFIX}*": self._build_images_behavior(images, security_headers),
            },
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_ipv6=True,
            price_class=_PRICE_CLASSES[config.price_class],
            enable_logging=True,
            log_bucket=access_logs,
            log_file_prefix=f"cloudfront/{config.prefix}/",
            log_includes_cookies=False,
            web_acl_id=config.web_acl_arn,
            # With the default *.cloudfront.net certificate CloudFront fixes the security policy itself
            # (TLSv1); the floor can only be raised with a custom domain and a us-east-1 certificate.
            domain_names=[custom_domain] if custom_domain else None,
            certificate=self._certificate() if custom_domain else None,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021
            if custom_domain
            else None,
            ssl_support_method=cloudfront.SSLMethod.SNI if custom_domain else None,
        )
        self._grant_images_to_distribution(images)
        self._acknowledge_findings()

    @property
    def base_url(self) -> str:
        """``https://<domain>`` the public reads and image URLs are served from."""
        return self.viewer_origins[0]

    @property
    def viewer_origins(self) -> tuple[str, ...]:
        """Every ``https://<domain>`` viewers reach the distribution by: the custom domain first.

        With a custom domain the ``*.cloudfront.net`` name still answers, so a browser app served
        from either (the admin console) must be allowed from both.
        """
        domains = [self._config.domain_name] if self._config.domain_name else []
        domains.append(self.distribution.distribution_domain_name)
        return tuple(f"https://{domain}" for domain in domains)

    def _certificate(self) -> acm.ICertificate:
        assert self._config.certificate_arn is not None
        return acm.Certificate.from_certificate_arn(self, "Certificate", self._config.certificate_arn)

    def _build_api_behavior(
        self, public_api: PublicApi, security_headers: cloudfront.IResponseHeadersPolicy
    ) -> cloudfront.BehaviorOptions:
        cache_policy = cloudfront.CachePolicy(
            self,
            "PublicApiCachePolicy",
            comment="Public reads: path + canonical category/cursor/limit; origin Cache-Control decides",
            # No Cache-Control from the origin means "do not cache"; otherwise s-maxage decides, capped.
            default_ttl=Duration.seconds(0),
            min_ttl=Duration.seconds(0),
            max_ttl=Duration.seconds(self._config.cache.edge_max_ttl),
            query_string_behavior=cloudfront.CacheQueryStringBehavior.allow_list(*PUBLIC_QUERY_PARAMETERS),
            header_behavior=cloudfront.CacheHeaderBehavior.none(),
            cookie_behavior=cloudfront.CacheCookieBehavior.none(),
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        # The cache key's query strings reach the origin anyway; nothing else does: no
        # Authorization, no cookies, no viewer headers that would make responses differ per viewer.
        origin_request_policy = cloudfront.OriginRequestPolicy(
            self,
            "PublicApiOriginRequestPolicy",
            comment="Forward nothing beyond the cache key (no Authorization, no cookies)",
            query_string_behavior=cloudfront.OriginRequestQueryStringBehavior.none(),
            header_behavior=cloudfront.OriginRequestHeaderBehavior.none(),
            cookie_behavior=cloudfront.OriginRequestCookieBehavior.none(),
        )
        normalize_query = cloudfront.Function(
            self,
            "NormalizeQuery",
            comment="Canonical query string for the public API cache key",
            code=cloudfront.FunctionCode.from_file(file_path=str(NORMALIZE_QUERY_SOURCE)),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
        return cloudfront.BehaviorOptions(
            origin=origins.RestApiOrigin(
                public_api.api,
                custom_headers={ORIGIN_KEY_HEADER: public_api.origin_key_value()},
                read_timeout=Duration.seconds(30),
            ),
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
            cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
            cache_policy=cache_policy,
            origin_request_policy=origin_request_policy,
            response_headers_policy=security_headers,
            compress=True,
            function_associations=[
                cloudfront.FunctionAssociation(
                    function=normalize_query, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                )
            ],
        )

    def _build_images_behavior(
        self, images: CatalogImages, security_headers: cloudfront.IResponseHeadersPolicy
    ) -> cloudfront.BehaviorOptions:
        # The origin is a by-name reference to the bucket: CDK would otherwise grant CloudFront
        # GetObject on the whole bucket, uploads/ included. The narrower grant is added below.
        bucket = s3.Bucket.from_bucket_attributes(
            self, "ImagesBucketRef", bucket_name=images.bucket_name, region=self._config.region
        )
        return cloudfront.BehaviorOptions(
            origin=origins.S3BucketOrigin.with_origin_access_control(
                bucket, origin_access_levels=[cloudfront.AccessLevel.READ]
            ),
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
            cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
            cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
            response_headers_policy=security_headers,
            compress=True,
        )

    def _grant_images_to_distribution(self, images: CatalogImages) -> None:
        distribution_id = self.distribution.distribution_id
        distribution_arn = f"arn:{Aws.PARTITION}:cloudfront::{Aws.ACCOUNT_ID}:distribution/{distribution_id}"
        images.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CloudFrontReadsRegisteredImagesOnly",
                principals=[iam.ServicePrincipal("cloudfront.amazonaws.com")],
                actions=["s3:GetObject"],
                resources=[images.objects_arn(IMAGE_PREFIX)],
                conditions={"StringEquals": {"AWS:SourceArn": distribution_arn}},
            )
        )
        Annotations.of(self.distribution).acknowledge_warning(
            _IMPORTED_BUCKET_POLICY_WARNING,
            "The bucket policy statement is added explicitly and limited to images/ (see above)",
        )

    def _acknowledge_findings(self) -> None:
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "The catalog is public worldwide by contract; there is no country the business excludes, so a "
            "geo restriction would only block legitimate shoppers.",
        )
        if not self._config.web_acl_arn:
            waf_reason = (
                "CLOUDFRONT-scoped web ACLs exist only in us-east-1, not in this regional stack; the origin "
                "stage has a regional web ACL (managed rules, per-viewer rate limit on X-Forwarded-For) that "
                "every cache miss passes. Set context web_acl_arn to attach a us-east-1 one here too."
            )
            acknowledge(self.distribution, "AwsSolutions-CFR2", waf_reason)
            skip_check(self.distribution, "CKV_AWS_68", waf_reason)
        if not self._config.certificate_arn:
            tls_reason = (
                "With the default *.cloudfront.net certificate CloudFront fixes the viewer security policy; "
                "set context domain_name and certificate_arn (us-east-1) to enforce TLSv1.2_2021."
            )
            acknowledge(self.distribution, "AwsSolutions-CFR4", tls_reason)
            skip_check(self.distribution, "CKV_AWS_174", tls_reason)
