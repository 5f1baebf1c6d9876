"""The console's ``config.json``: where the APIs are and how an admin signs in.

Defined once here; the local runtime serves it (dev token) and the stack writes it next to the
console's files (Cognito hosted UI, authorization code flow with PKCE). The browser app reads it
at start-up, so one build of the static files runs in both places.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

# The folder whose files are the console, served as they are (no build step).
STATIC_DIR = Path(__file__).parent / "static"
# Where the console lives on the local runtime and behind the distribution.
CONSOLE_PATH = "/console/"
CONFIG_FILE = "config.json"
# The page Cognito's hosted UI redirects back to with the authorization code.
CALLBACK_PAGE = "callback.html"


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DevTokenSignIn(_Document):
    """Local runtime: the admin token printed at start; the page sends it as a bearer token."""

    mode: Literal["dev-token"] = "dev-token"
    token: str = Field(min_length=1)


class CognitoSignIn(_Document):
    """Deployed stage: the user pool's hosted UI, authorization code flow with PKCE (no secret)."""

    mode: Literal["cognito"] = "cognito"
    domain: HttpUrl = Field(
        description="The hosted UI's base URL, e.g. https://x.auth.us-west-1.amazoncognito.com"
    )
    client_id: str = Field(min_length=1)
    redirect_uri: HttpUrl = Field(description="The console's callback page on the distribution")
    logout_uri: HttpUrl = Field(description="Where the hosted UI sends the browser after sign-out")
    scopes: tuple[str, ...] = ("openid", "email", "profile")


class ConsoleConfig(_Document):
    """Everything the browser app needs to know about the stage it runs against."""

    admin_api: str = Field(description="Base URL of the admin API, without a trailing slash")
    public_api: str = Field(description="Base URL of the public API (the distribution, or the local edge)")
    sign_in: Annotated[DevTokenSignIn | CognitoSignIn, Field(discriminator="mode")]
