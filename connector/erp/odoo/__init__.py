"""Odoo 17–20: the ERP adapter (adapter.py: client.py, reader.py, writeback.py) over odoo-client-lib."""
