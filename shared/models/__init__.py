"""pydantic models: the single source of truth for validation, OpenAPI, API Gateway models and event schemas."""
