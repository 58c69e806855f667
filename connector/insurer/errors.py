"""The insurer's refusals, in the one exception tree of mappings/errors.py; the class says whether to retry.

    BadInput
     ├── ConfigError            wrong insurer url, API key rejected, unknown policy: fix the settings
     └── InsurerRefused         the insurer refused this call (4xx); retrying the same call will not help
          ├── RequestAlreadyOpen  a cover request on this buyer is still open (HTTP 409)
          └── IdempotencyConflict the idempotency key was used before with another body (HTTP 422)
    TransientError              insurer down, busy (429 beyond the wait bound), 5xx or timeouts after the
                                bounded retries, an answer that is not JSON: retry later with the SAME key

Messages never carry the API key or the bearer token.
"""
from __future__ import annotations

from creditguard.mappings.errors import BadInput, ConfigError, TransientError

__all__ = ["InsurerRefused", "RequestAlreadyOpen", "IdempotencyConflict", "ConfigError", "TransientError"]


class InsurerRefused(BadInput):
    """The insurer refused the call (HTTP 4xx); `status` is the HTTP status, `raw` the answer's body."""

    def __init__(self, message, *, status=None, raw=None, where=None, hint=None):
        self.status = status
        self.raw = raw
        super().__init__(message, where=where, hint=hint)


class RequestAlreadyOpen(InsurerRefused):
    """A cover request on this buyer is still open: wait for its decision or withdraw it first."""


class IdempotencyConflict(InsurerRefused):
    """The idempotency key was already used with a different request body."""
