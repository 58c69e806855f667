# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""An online payment never confirms a held customer's quotation; the order says why."""

from markupsafe import Markup

from odoo import models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _check_amount_and_confirm_order(self):
        """Leave the quotations of held customers unconfirmed, with a note.

        The payment itself is still recorded: the money has been received. Raising
        here would only make the payment post-processing fail and retry forever.
        """
        held_txs = self.filtered(
            lambda tx: len(tx.sale_order_ids) == 1
            and tx.sale_order_ids.state in ("draft", "sent")
            and tx.sale_order_ids._credit_guard_held_partner()
        )
        for tx in held_txs:
            order = tx.sale_order_ids
            partner = order._credit_guard_held_partner()
            order.message_post(
                body=Markup("<p>%s</p>")
                % self.env._(
                    "Payment %(reference)s received, but the order was not confirmed: "
                    "the customer %(customer)s is on credit hold (%(reason)s).",
                    reference=tx.reference,
                    customer=partner.display_name,
                    reason=partner.credit_guard_hold_reason or "",
                ),
            )
        return super(
            PaymentTransaction, self - held_txs
        )._check_amount_and_confirm_order()
