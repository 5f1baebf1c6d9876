"""The event publisher: event log → SNS topic, retried until SNS accepts."""
