"""The one layer every function imports its third-party packages from, built from ``uv.lock``."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cdk.constructs.function import ARCHITECTURE, RUNTIME
from cdk.lambda_dependencies import Target, layer_zip


class DependencyLayer(Construct):
    """Powertools, pydantic, the X-Ray SDK and boto3 at the locked versions, for the functions' runtime.

    The archive comes from :func:`cdk.lambda_dependencies.layer_zip` (built once per lock and
    cached); CDK uploads it as it is.
    """

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.target = Target.lambda_function(RUNTIME.name, ARCHITECTURE.name)
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            code=lambda_.Code.from_asset(str(layer_zip(self.target))),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="Third-party packages of the catalog functions, pinned by uv.lock",
        )
