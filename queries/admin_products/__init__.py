"""Admin listing: the catalog as admins browse it (read views only)."""
