"""The cursor-signing secret in Secrets Manager, through Powertools Parameters.

Values are cached for ``max_age`` seconds, so a rotated secret reaches warm functions within that
time, not at their next cold start. Both the current version (``AWSCURRENT``, which signs) and the
previous one (``AWSPREVIOUS``, which still verifies) are read, so cursors issued just before a
rotation, or by an instance that has not yet seen it, keep working.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import boto3
from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import ClientError

from shared.data.dynamo import CLIENT_CONFIG

PREVIOUS_STAGE = "AWSPREVIOUS"


def _as_bytes(value: str | bytes | dict[str, Any] | None) -> bytes:
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, bytes):
        return value
    raise TypeError("the cursor secret must be a string or binary secret")


def _never_rotated(error: GetParameterError) -> bool:
    # Powertools wraps the SDK error; a secret that was never rotated has no AWSPREVIOUS version.
    cause = error.__context__
    return isinstance(cause, ClientError) and cause.response["Error"]["Code"] == "ResourceNotFoundException"


class CursorSecret:
    """Current and previous value of one secret, each cached for ``max_age`` seconds."""

    def __init__(
        self,
        secret_id: str,
        max_age: int,
        client: Any = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # No stubs for Secrets Manager are installed, so the client is typed loosely.
        client = client or boto3.client("secretsmanager", config=CLIENT_CONFIG)
        self._secret_id = secret_id
        self._max_age = max_age
        self._clock = clock
        # Powertools caches by name alone, not by version stage: one provider (cache) per stage.
        self._current = SecretsProvider(boto3_client=client)
        self._previous = SecretsProvider(boto3_client=client)
        self._no_previous_until = float("-inf")

    def current(self) -> bytes:
        """The value that signs new cursors (``AWSCURRENT``)."""
        return _as_bytes(self._current.get(self._secret_id, max_age=self._max_age))

    def previous(self) -> bytes | None:
        """The value before the last rotation (``AWSPREVIOUS``), or ``None`` if it was never rotated.

        The absence is remembered for ``max_age`` too, so refused cursors cannot make every
        request call Secrets Manager.
        """
        if self._clock() < self._no_previous_until:
            return None
        try:
            value = self._previous.get(self._secret_id, max_age=self._max_age, VersionStage=PREVIOUS_STAGE)
        except GetParameterError as error:
            if not _never_rotated(error):
                raise
            self._no_previous_until = self._clock() + self._max_age
            return None
        return _as_bytes(value)
