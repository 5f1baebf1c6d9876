"""pydantic models: the one source of validation, OpenAPI, API Gateway models and event schemas."""
