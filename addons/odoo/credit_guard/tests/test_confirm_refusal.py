# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""No path confirms a held customer's order."""

from odoo.exceptions import UserError
from odoo.fields import Command
from odoo.tests import tagged

from .common import HOLD_REASON, CreditGuardCase
from .series import portal_accept


@tagged("post_install", "-at_install")
class TestConfirmRefusal(CreditGuardCase):
    def assertRefused(self, order, call):
        with self.assertRaises(UserError) as caught:
            call()
        message = str(caught.exception)
        self.assertIn("Held Exports GmbH", message)
        self.assertIn(HOLD_REASON, message)
        order.invalidate_recordset()
        self.assertIn(order.state, ("draft", "sent"))

    def test_action_confirm_as_salesman(self):
        order = self._quotation(self.held, user=self.salesman)
        self.assertRefused(order, order.action_confirm)

    def test_action_confirm_with_bypass_context(self):
        order = self._quotation(self.held, user=self.salesman)
        bypass = order.with_context(bypass_risk=True, skip_credit_guard=True, force=True)
        self.assertRefused(order, bypass.action_confirm)

    def test_action_confirm_as_superuser(self):
        order = self._quotation(self.held)
        self.assertRefused(order, order.sudo().action_confirm)

    def test_copied_quotation(self):
        order = self._quotation(self.good, user=self.salesman)
        order.partner_id = self.held
        copy = order.copy()
        self.assertRefused(copy, copy.action_confirm)

    def test_contact_of_held_company(self):
        order = self._quotation(self.held_contact, user=self.salesman)
        self.assertRefused(order, order.action_confirm)

    def test_held_invoice_address(self):
        order = self._quotation(self.good, user=self.salesman)
        order.partner_invoice_id = self.held_contact
        self.assertRefused(order, order.action_confirm)

    def test_write_state_directly(self):
        order = self._quotation(self.held, user=self.salesman)
        self.assertRefused(order, lambda: order.write({"state": "sale"}))

    def test_create_confirmed_order(self):
        """An import or RPC create of an order already in state 'sale'."""
        with self.assertRaises(UserError):
            self.env(user=self.salesman)["sale.order"].create(
                {
                    "partner_id": self.held.id,
                    "state": "sale",
                    "order_line": [Command.create({"product_id": self.product.id})],
                }
            )

    def test_import(self):
        result = self.env(user=self.salesman)["sale.order"].load(
            ["partner_id/.id", "state"], [[str(self.held.id), "sale"]]
        )
        self.assertFalse(result["ids"])
        self.assertIn(HOLD_REASON, result["messages"][0]["message"])

    def test_server_action(self):
        order = self._quotation(self.held)
        self.assertRefused(order, self._server_action_confirm(order))

    def test_portal_signature(self):
        """The portal's accept route confirms once signed (tests/series.py: portal_accept)."""
        order = self._quotation(self.held)
        self.assertRefused(order, lambda: portal_accept(order.sudo()))

    def test_moving_confirmed_order_to_held_customer(self):
        order = self._quotation(self.good, user=self.salesman)
        order.action_confirm()
        with self.assertRaises(UserError):
            order.write({"partner_id": self.held.id})

    def test_unheld_customer_confirms(self):
        order = self._quotation(self.good, user=self.salesman)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_released_customer_confirms(self):
        order = self._quotation(self.held, user=self.salesman)
        self.held.with_user(self.connector).write(
            {"credit_guard_hold": False, "credit_guard_hold_reason": False}
        )
        order.action_confirm()
        self.assertEqual(order.state, "sale")
