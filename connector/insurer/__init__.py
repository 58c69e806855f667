"""Trade-credit insurers: the neutral interface, the Allianz Trade shaped REST adapter and a simulator.

    client.py      InsurerClient (typing.Protocol): find_buyer, request_cover, request_state, decisions_since,
                   buyer_grade, withdraw; models in mappings/insurer.py
    errors.py      InsurerRefused, RequestAlreadyOpen, IdempotencyConflict (+ ConfigError, TransientError)
    transport.py   HTTP with timeouts, bounded retries, Retry-After, one token renewal; RetryPolicy
    allianz.py     AllianzTradeClient, and what it assumes beyond the public material
    simulator/     the simulated insurer (`creditguard insurer-sim`)
"""
import importlib

# Imported when first asked for: a command that only reads the store or a snapshot (the ledger, the desks)
# does not load the HTTP stack.
_HOMES = {"InsurerClient": "client", "AllianzTradeClient": "allianz", "RetryPolicy": "transport",
          "InsurerRefused": "errors", "RequestAlreadyOpen": "errors", "IdempotencyConflict": "errors"}

__all__ = ["InsurerClient", "AllianzTradeClient", "RetryPolicy", "InsurerRefused", "RequestAlreadyOpen",
           "IdempotencyConflict"]


def __getattr__(name):
    if name in _HOMES:
        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
