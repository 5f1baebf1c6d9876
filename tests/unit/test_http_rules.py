"""Small HTTP rules: If-Match parsing, ETags, idempotency keys, configuration errors, ids."""

from __future__ import annotations

import pytest

from commands.idempotency import validated_key
from shared.config import AdminProductsConfig, ConfigurationError, load_config
from shared.http import etag, expected_version
from shared.ids import new_id
from shared.problems import ValidationProblem


@pytest.mark.parametrize(
    ("header", "version"),
    [(None, None), ("*", None), ("", None), ('"3"', 3), ('W/"7"', 7), (' "12" ', 12), ('"4"\t', 4)],
)
def test_if_match_names_the_expected_version(header: str | None, version: int | None) -> None:
    assert expected_version(header) == version


@pytest.mark.parametrize("header", ['"abc"', '"1", "2"', '""', "3", '"٣"', "null"])
def test_an_if_match_that_names_no_version_is_a_bad_request(header: str) -> None:
    with pytest.raises(ValidationProblem):
        expected_version(header)


def test_etag_is_the_quoted_version() -> None:
    assert etag(4) == '"4"'
    assert expected_version(etag(4)) == 4


@pytest.mark.parametrize("key", ["a", "x" * 128, "order-42:retry", "~!@#$%^&*()"])
def test_visible_ascii_idempotency_keys_are_accepted(key: str) -> None:
    assert validated_key(key) == key


@pytest.mark.parametrize("key", ["", "x" * 129, "with space", "caf\u00e9", "line\nbreak"])
def test_other_idempotency_keys_are_rejected(key: str) -> None:
    with pytest.raises(ValidationProblem):
        validated_key(key)


def test_missing_configuration_names_every_missing_variable() -> None:
    with pytest.raises(ConfigurationError) as raised:
        load_config(AdminProductsConfig, environ={"PRODUCTS_TABLE_NAME": "products"})

    assert "IDEMPOTENCY_TABLE_NAME" in str(raised.value)
    assert "IMAGES_BUCKET_NAME" in str(raised.value)


def test_configuration_is_read_from_upper_cased_names() -> None:
    config = load_config(
        AdminProductsConfig,
        environ={
            "PRODUCTS_TABLE_NAME": "products",
            "IDEMPOTENCY_TABLE_NAME": "idem",
            "IMAGES_BUCKET_NAME": "b",
            "EVENT_LOG_TABLE_NAME": "events",
            "ADMIN_ALLOWED_ORIGINS": "https://a.example, https://b.example",
            "UNRELATED": "x",
        },
    )

    assert config.admin_allowed_origins == ("https://a.example", "https://b.example")
    assert config.admin_image_url_ttl_seconds == 900


def test_ids_are_26_char_ulids_in_creation_order() -> None:
    ids = [new_id() for _ in range(50)]

    assert all(len(i) == 26 for i in ids)
    assert len(set(ids)) == 50
    assert ids[0][:10] <= ids[-1][:10]  # the timestamp part never goes backwards
