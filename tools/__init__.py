"""Build and operations tools: run from a checkout, never packaged into the Lambda asset."""
