"""The ``newsflow`` command: the embedded stack, one-off extraction, search, and running a service."""
