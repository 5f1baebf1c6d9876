"""Data access: the only code that talks to DynamoDB, S3 and SNS."""
