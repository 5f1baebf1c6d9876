"""`GET /products` and `GET /products/{id}`."""
