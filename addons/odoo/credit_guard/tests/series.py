# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""What the tests call by another name on another Odoo series (the add-on's own code is the same on each)."""

from odoo import release

SERIES = release.version_info[0]


def portal_accept(order):
    """What the portal's accept route calls once the customer has signed: `_validate_order` from 18.0, the
    order's `action_confirm` in 17.0."""
    return order._validate_order() if SERIES >= 18 else order.action_confirm()


def post_process(transaction):
    """A done payment's post-processing: `_post_process` from 18.0, `_finalize_post_processing` in 17.0."""
    if SERIES >= 18:
        return transaction._post_process()
    return transaction._finalize_post_processing()
