"""The public catalog: read-only queries served from the read views."""
