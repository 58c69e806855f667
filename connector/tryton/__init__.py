"""Tryton 8.2: the embedded server (embedded.py), the JSON-RPC adapter (rpc.py) and the base seed (seed.py)."""
