"""Trade-credit insurers: the neutral interface, the Allianz Trade shaped REST adapter and a simulator.

    client.py      InsurerClient (typing.Protocol): find_buyer, request_cover, request_state, decisions_since,
                   buyer_grade, withdraw; models in mappings/insurer.py
    errors.py      InsurerRefused, RequestAlreadyOpen, IdempotencyConflict (+ ConfigError, TransientError)
    transport.py   HTTP with timeouts, bounded retries, Retry-After, one token renewal; RetryPolicy
    allianz.py     AllianzTradeClient, and what it assumes beyond the public material
    simulator/     the simulated insurer (`creditguard insurer-sim`)
"""
from .allianz import AllianzTradeClient
from .client import InsurerClient
from .errors import IdempotencyConflict, InsurerRefused, RequestAlreadyOpen
from .transport import RetryPolicy

__all__ = ["InsurerClient", "AllianzTradeClient", "RetryPolicy", "InsurerRefused", "RequestAlreadyOpen",
           "IdempotencyConflict"]
