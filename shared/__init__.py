"""Code shared by every Lambda function of the catalog: domain models, errors, configuration, data access."""
