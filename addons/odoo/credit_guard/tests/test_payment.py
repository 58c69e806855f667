# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""An online payment does not confirm a held customer's quotation."""

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.account_payment.tests.common import AccountPaymentCommon
from odoo.addons.sale.tests.common import SaleCommon

from .series import post_process


@tagged("post_install", "-at_install")
class TestPayment(AccountPaymentCommon, SaleCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.currency = cls.sale_order.currency_id
        cls.partner = cls.sale_order.partner_invoice_id
        cls.amount = cls.sale_order.amount_total

    def _pay(self):
        tx = self._create_transaction(
            flow="redirect", sale_order_ids=[self.sale_order.id], state="done"
        )
        with mute_logger("odoo.addons.sale.models.payment_transaction"):
            post_process(tx)
        return tx

    def test_payment_confirms_a_good_customer(self):
        self._pay()
        self.assertEqual(self.sale_order.state, "sale")

    def test_payment_leaves_held_quotation_unconfirmed(self):
        self.partner.commercial_partner_id.write(
            {"credit_guard_hold": True, "credit_guard_hold_reason": "Cover refused"}
        )
        tx = self._pay()
        self.assertTrue(tx.is_post_processed)
        self.assertEqual(self.sale_order.state, "draft")
        notes = self.sale_order.message_ids.filtered(
            lambda m: tx.reference in (m.body or "") and "Cover refused" in m.body
        )
        self.assertTrue(notes, "the order says why the payment did not confirm it")

    def test_payment_leaves_quotation_above_the_allowance_unconfirmed(self):
        self.partner.commercial_partner_id.write(
            {
                "credit_guard_allowance": 0.0,
                "credit_guard_allowance_limited": True,
                "credit_guard_allowance_rule": "credit_limit.exceeded",
                "credit_guard_allowance_bound": "its credit limit 10.00",
                "credit_guard_exposure": 10.0,
                "credit_guard_allowance_as_of": "2020-01-01 00:00:00",
            }
        )
        tx = self._pay()
        self.assertTrue(tx.is_post_processed)
        self.assertEqual(self.sale_order.state, "draft")
        notes = self.sale_order.message_ids.filtered(
            lambda m: tx.reference in (m.body or "") and "credit_limit.exceeded" in m.body
        )
        self.assertTrue(notes, "the order says why the payment did not confirm it")
