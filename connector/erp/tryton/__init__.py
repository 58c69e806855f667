"""Tryton 8.2: the ERP adapter (adapter.py: rpc.py, reader.py, writeback.py). The embedded server the tests and the
demo start is a harness: connector/testing/tryton.py."""
