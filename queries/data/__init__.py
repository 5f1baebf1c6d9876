"""Data access only the query side uses: the cursor-signing secret (the read views are in shared.data)."""
