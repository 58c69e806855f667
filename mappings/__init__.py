"""Canonical models of Credit Guard and the ERP field mappings that feed them."""
