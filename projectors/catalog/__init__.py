"""The catalog projector: products stream → read views and inventory events."""
