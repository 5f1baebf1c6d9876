"""Seeding in-process moto tables with views quickly, for sections that measure pages, not writes.

The items are the ones the projector writes (``view_item`` and ``entry_items``, as
``DynamoViewRepository.put_views`` builds them), handed to moto's DynamoDB backend the way its
``BatchWriteItem`` handler hands each item on, without the request's wire format, on moto patched
as the tests and the local runtime patch it (``local.moto_fidelity``). At 20,000 products the
views table holds ~300,000 items; through ``BatchWriteItem`` and unpatched moto, seeding and
querying them took most of ``list_scan``'s and ``discovery``'s time. What the sections read is
read through the repository as before, so what they measure is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.dynamodb.models import dynamodb_backends

from local.moto_fidelity import make_moto_faithful
from shared.data.dynamo import to_attribute_values
from shared.data.views import ProductView, entry_items, view_item


def seed_items(table_name: str, items: Iterable[dict[str, Any]], region: str = "us-west-1") -> None:
    """Store plain items in moto's backend (inside ``mock_aws``), as ``BatchWriteItem`` would."""
    make_moto_faithful()
    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][region]
    for item in items:
        backend.put_item(table_name, to_attribute_values(item))


def seed_views(table_name: str, views: Iterable[ProductView], region: str = "us-west-1") -> None:
    """Store each view's items in moto's backend (inside ``mock_aws``), as ``put_views`` would."""
    seed_items(table_name, (item for view in views for item in (view_item(view), *entry_items(view))), region)
