"""Stream consumers that keep the read side in step with the write model."""
