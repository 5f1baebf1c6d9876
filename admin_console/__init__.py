"""The admin console: a static browser app (``static/``) and the one configuration document it reads.

The same files are served by the local runtime at ``/console/`` and deployed by the stack to S3
behind the CloudFront distribution; only ``config.json`` differs, built from :class:`ConsoleConfig`.
"""
