"""The one error type every local service raises; each service renders it in its own protocol."""

from __future__ import annotations


class ServiceError(Exception):
    """An AWS-style error: ``code`` as AWS spells it, a message, and the HTTP status AWS uses.

    ``sender_fault`` mirrors the ``Sender``/``Receiver`` type of the query (XML) protocol.
    """

    def __init__(self, code: str, message: str, status: int = 400, *, sender_fault: bool = True) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault
