"""Write side: the admin command functions. One package per function, each handler → logic → data access."""
