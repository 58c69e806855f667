"""Tryton 8.2: the ERP adapter (adapter.py: rpc.py, reader.py, writeback.py) and the embedded server for tests and the demo (embedded.py)."""
