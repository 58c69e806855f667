# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""When a customer invoice was posted: the allowance check adds those posted since
the customer's allowance was computed (a payment or any other write moves the
invoice's write_date, not this)."""

from odoo import fields, models

from .notify import notify


class AccountMove(models.Model):
    _inherit = "account.move"

    credit_guard_posted_at = fields.Datetime(
        string="Posted at",
        copy=False,
        readonly=True,
        help="When the invoice was last posted (Credit Guard's order allowance).",
    )

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        invoices = posted.filtered(lambda move: move.move_type == "out_invoice")
        if invoices:
            invoices.sudo().write({"credit_guard_posted_at": fields.Datetime.now()})
        customer_moves = posted.filtered(lambda move: move.move_type in ("out_invoice", "out_refund"))
        if customer_moves:
            notify(self.env, "account.move.post", "account.move", customer_moves.ids,
                   customer_moves.partner_id)
        return posted
