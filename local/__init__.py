"""The local runtime: the whole catalog on this machine, on moto, with no AWS account and no Docker."""
