# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The override group confirms a held customer's order with a reason, in the chatter."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged

from .common import HOLD_REASON, CreditGuardCase


@tagged("post_install", "-at_install")
class TestOverride(CreditGuardCase):
    def _override(self, order, user, reason):
        action = order.with_user(user).action_credit_guard_override()
        wizard_model = self.env[action["res_model"]].with_user(user)
        wizard = wizard_model.with_context(**action["context"]).create({"reason": reason})
        return wizard.action_confirm_override()

    def test_override_confirms_and_leaves_a_trace(self):
        order = self._quotation(self.held, user=self.salesman)
        self._override(order, self.overrider, "Prepayment received by wire")
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.credit_guard_override_reason, "Prepayment received by wire")
        self.assertEqual(order.credit_guard_override_user_id, self.overrider)
        self.assertTrue(order.credit_guard_override_date)
        message = order.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref("credit_guard.mt_credit_guard_override")
        )
        self.assertEqual(len(message), 1)
        self.assertIn("Prepayment received by wire", message.body)
        self.assertIn(HOLD_REASON, message.body)
        self.assertEqual(message.author_id, self.overrider.partner_id)

    def test_override_wizard_form(self):
        order = self._quotation(self.held, user=self.salesman)
        action = order.with_user(self.overrider).action_credit_guard_override()
        model = self.env[action["res_model"]].with_user(self.overrider)
        with Form(model.with_context(**action["context"])) as form:
            self.assertIn(HOLD_REASON, form.hold_reason)
            form.reason = "Director approved"
        form.record.action_confirm_override()
        self.assertEqual(order.state, "sale")

    def test_salesman_cannot_override(self):
        order = self._quotation(self.held, user=self.salesman)
        with self.assertRaises(AccessError):
            order.with_user(self.salesman).action_credit_guard_override()
        with self.assertRaises(AccessError):
            self.env["credit.guard.override.wizard"].with_user(self.salesman).create(
                {"order_ids": order.ids, "reason": "I say so"}
            )
        with self.assertRaises(AccessError):
            order.with_user(self.salesman)._credit_guard_confirm_with_override("I say so")
        self.assertEqual(order.state, "draft")

    def test_salesman_cannot_forge_override_fields(self):
        order = self._quotation(self.held, user=self.salesman)
        with self.assertRaises(AccessError):
            order.with_user(self.salesman).write(
                {"credit_guard_override_reason": "forged", "credit_guard_override_user_id": 2}
            )

    def test_override_needs_a_reason(self):
        order = self._quotation(self.held, user=self.salesman)
        with self.assertRaises(UserError):
            order.with_user(self.overrider)._credit_guard_confirm_with_override("  ")
        self.assertEqual(order.state, "draft")

    def test_override_is_not_copied(self):
        order = self._quotation(self.held, user=self.salesman)
        self._override(order, self.overrider, "One-off deal")
        copy = order.with_user(self.salesman).copy()
        self.assertFalse(copy.credit_guard_override_date)
        with self.assertRaises(UserError):
            copy.action_confirm()

    def test_cancelled_and_reset_order_needs_a_new_override(self):
        order = self._quotation(self.held, user=self.salesman)
        self._override(order, self.overrider, "One-off deal")
        order.with_user(self.salesman)._action_cancel()
        order.with_user(self.salesman).action_draft()
        self.assertFalse(order.credit_guard_override_date)
        with self.assertRaises(UserError):
            order.with_user(self.salesman).action_confirm()
