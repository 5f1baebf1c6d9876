"""Data access only the command side uses: the images bucket (the write model is in shared.data)."""
