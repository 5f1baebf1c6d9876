"""The event publisher: event log → SNS topic, retried until SNS accepts; replay of the log."""
