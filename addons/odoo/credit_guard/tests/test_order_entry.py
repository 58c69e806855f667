# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Flags and holds show at order entry: an onchange warning and a banner."""

from odoo.tests import Form, tagged

from .common import FLAG_REASON, HOLD_REASON, CreditGuardCase


@tagged("post_install", "-at_install")
class TestOrderEntry(CreditGuardCase):
    def _onchange_warning(self, partner):
        order = self.env["sale.order"].with_user(self.salesman).new({"partner_id": partner.id})
        return order._onchange_partner_id_credit_guard()

    def test_onchange_warns_for_flagged_customer(self):
        result = self._onchange_warning(self.flagged)
        self.assertIn(FLAG_REASON, result["warning"]["message"])

    def test_onchange_warns_for_contact_of_held_customer(self):
        result = self._onchange_warning(self.held_contact)
        self.assertIn(HOLD_REASON, result["warning"]["message"])
        self.assertEqual(result["warning"]["title"], "Customer on credit hold")

    def test_onchange_silent_for_good_customer(self):
        self.assertFalse(self._onchange_warning(self.good))

    def test_form_onchange_reaches_the_user(self):
        with self.assertLogs("odoo.tests.form.onchange") as logs:
            with Form(self.env["sale.order"].with_user(self.salesman)) as form:
                form.partner_id = self.flagged
                form.order_line.new().product_id = self.product
        self.assertIn(FLAG_REASON, "\n".join(logs.output))

    def test_banner_on_draft_orders(self):
        flagged_order = self._quotation(self.flagged, user=self.salesman)
        held_order = self._quotation(self.held_contact, user=self.salesman)
        good_order = self._quotation(self.good, user=self.salesman)
        self.assertIn(FLAG_REASON, flagged_order.credit_guard_warning)
        self.assertFalse(flagged_order.credit_guard_hold)
        self.assertIn(HOLD_REASON, held_order.credit_guard_warning)
        self.assertTrue(held_order.credit_guard_hold)
        self.assertFalse(good_order.credit_guard_warning)

    def test_banner_follows_the_partner(self):
        order = self._quotation(self.good, user=self.salesman)
        self.good.with_user(self.connector).write(
            {"credit_guard_flag": True, "credit_guard_flag_reason": "Terms beyond policy"}
        )
        self.assertIn("Terms beyond policy", order.credit_guard_warning)

    def test_no_banner_on_confirmed_orders(self):
        order = self._quotation(self.flagged, user=self.salesman)
        order.action_confirm()
        self.assertFalse(order.credit_guard_warning)
