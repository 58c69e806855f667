# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""An online payment never confirms a quotation of a held customer, nor one above the
customer's order allowance; the order says why."""

from markupsafe import Markup

from odoo import _, models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _check_amount_and_confirm_order(self):
        """Leave the refused quotations unconfirmed, with a note.

        The payment itself is still recorded: the money has been received. Raising
        here would only make the payment post-processing fail and retry forever.
        """
        refused = self.env["payment.transaction"]
        for tx in self:
            order = tx.sale_order_ids
            if len(order) != 1 or order.state not in ("draft", "sent"):
                continue
            note = tx._credit_guard_refusal_note(order)
            if note:
                order.message_post(body=Markup("<p>%s</p>") % note)
                refused |= tx
        return super(PaymentTransaction, self - refused)._check_amount_and_confirm_order()

    def _credit_guard_refusal_note(self, order):
        partner = order._credit_guard_held_partner()
        if partner:
            return _(
                "Payment %(reference)s received, but the order was not confirmed: "
                "the customer %(customer)s is on credit hold (%(reason)s).",
                reference=self.reference,
                customer=partner.display_name,
                reason=partner.credit_guard_hold_reason or "",
            )
        refusal = order._credit_guard_allowance_refusal()
        if refusal:
            return _(
                "Payment %(reference)s received, but the order was not confirmed: "
                "%(refusal)s",
                reference=self.reference,
                refusal=refusal,
            )
        return False
