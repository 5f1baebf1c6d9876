"""The demo catalog: eight products in three categories, written through the admin API.

It goes through the local API Gateway with the admin token, so the products are exactly what an
admin's requests would create (versions, events, views), and it shows every public state: in
stock, low stock, out of stock, and a draft that never appears publicly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from local.web import Handler, HttpRequest


class SeedError(RuntimeError):
    """The admin API refused a demo product (the message has its answer)."""


DEMO_PRODUCTS: tuple[dict[str, Any], ...] = (
    {
        "sku": "MUG-001",
        "name": "Enamel camping mug",
        "category": "kitchen",
        "price": 12.5,
        "inventory": 40,
        "description": "A sturdy 350 ml enamel mug that survives the campfire.",
    },
    {
        "sku": "KNF-200",
        "name": "Chef's knife 20 cm",
        "category": "kitchen",
        "price": 89,
        "inventory": 3,
        "low_stock_threshold": 5,
        "description": "Forged steel, full tang. Only a few left.",
    },
    {
        "sku": "SKL-26",
        "name": "Cast-iron skillet 26 cm",
        "category": "kitchen",
        "price": 45.9,
        "inventory": 0,
        "description": "Pre-seasoned. Back in stock soon.",
    },
    {
        "sku": "BPK-30",
        "name": "Trail backpack 30 l",
        "category": "outdoors",
        "price": 129.99,
        "inventory": 15,
        "description": "Ventilated back panel, rain cover included.",
    },
    {"sku": "LMP-350", "name": "Headlamp 350 lm", "category": "outdoors", "price": 24.95, "inventory": 60},
    {
        "sku": "STV-2",
        "name": "Two-burner camping stove",
        "category": "outdoors",
        "price": 64.5,
        "inventory": 12,
        "status": "draft",
        "description": "Not launched yet: drafts never appear publicly.",
    },
    {
        "sku": "NTB-A5",
        "name": "Dot-grid notebook A5",
        "category": "stationery",
        "price": 9.9,
        "inventory": 200,
    },
    {
        "sku": "PEN-F",
        "name": "Fountain pen, fine nib",
        "category": "stationery",
        "price": 34,
        "inventory": 25,
        "currency": "EUR",
    },
)


@dataclass(frozen=True)
class SeededProduct:
    """A demo product as the admin API created it."""

    id: str
    sku: str
    status: str


def seed_catalog(api: Handler, admin_token: str) -> list[SeededProduct]:
    """Create the demo products through ``api`` (the local gateway) with the admin token.

    Raises
    ------
    SeedError
        When the API does not answer 201 for a product.
    """
    created = []
    for product in DEMO_PRODUCTS:
        request = HttpRequest(
            method="POST",
            path="/admin/products",
            headers=(
                ("Authorization", f"Bearer {admin_token}"),
                ("Content-Type", "application/json"),
                ("Idempotency-Key", f"demo-{product['sku']}"),
            ),
            body=json.dumps(product).encode(),
        )
        response = api(request)
        if response.status != 201:
            raise SeedError(f"creating {product['sku']}: {response.status} {response.body.decode()[:300]}")
        body = json.loads(response.body)
        created.append(SeededProduct(id=body["id"], sku=body["sku"], status=body["status"]))
    return created
