"""`GET /categories`."""
