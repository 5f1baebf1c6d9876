"""The catalog's infrastructure: one CDK app, one stack, one construct per capability."""
