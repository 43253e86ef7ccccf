"""The one error type of ingest's sources: a reason code (the dead letter's) and a message."""


class SourceError(Exception):
    """A source, or one item of it, that cannot be read; ``reason`` is the dead letter's code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
