"""The ERPs: the contract a cycle needs (contract.py), the write operations (operations.py), what every reader
does alike (reading.py), and one adapter per ERP (odoo/, tryton/)."""
