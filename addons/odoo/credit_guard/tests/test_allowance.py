# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The order allowance: the order being confirmed counts, with what came since the
allowance was computed (docs/allowance.md)."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tests import Form, tagged

from .common import CreditGuardCase

BOUND = "its credit limit 10,000.00"
RULE = "credit_limit.exceeded"
FLAG_RULE = "credit_limit.near"


@tagged("post_install", "-at_install")
class TestAllowance(CreditGuardCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bolt = cls.env["res.partner"].create({"name": "Bolt", "is_company": True})
        cls.bolt_contact = cls.env["res.partner"].create(
            {"name": "Bea Buyer", "parent_id": cls.bolt.id}
        )
        cls.currency = cls.env.company.currency_id

    def _allow(self, allowance=None, flag=None, exposure=9850.0, partner=None, as_of=None):
        """Write an allowance as the connector does; None: no limit."""
        as_of = as_of or fields.Datetime.now() - timedelta(hours=1)
        (partner or self.bolt).with_user(self.connector).write(
            {
                "credit_guard_allowance": allowance or 0.0,
                "credit_guard_allowance_limited": allowance is not None,
                "credit_guard_allowance_rule": RULE if allowance is not None else False,
                "credit_guard_allowance_bound": BOUND if allowance is not None else False,
                "credit_guard_flag_allowance": flag or 0.0,
                "credit_guard_flag_allowance_limited": flag is not None,
                "credit_guard_flag_allowance_rule": FLAG_RULE if flag is not None else False,
                "credit_guard_flag_allowance_bound": (
                    "the 9,000.00 that rule credit_limit.near allows" if flag is not None else False
                ),
                "credit_guard_exposure": exposure,
                "credit_guard_allowance_currency": self.currency.name,
                "credit_guard_allowance_as_of": as_of,
            }
        )

    def _order(self, partner=None, qty=2, price=100.0, **vals):
        """A quotation of ``qty`` x ``price`` (no tax) as the salesman."""
        return self.env(user=self.salesman)["sale.order"].create(
            {
                "partner_id": (partner or self.bolt).id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_uom_qty": qty,
                            "price_unit": price,
                        }
                    )
                ],
                **vals,
            }
        )

    def assertRefused(self, order, call):
        with self.assertRaises(UserError) as caught:
            call()
        order.invalidate_recordset()
        self.assertIn(order.state, ("draft", "sent"))
        return str(caught.exception)

    def _invoice(self, amount, partner=None):
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": (partner or self.bolt).id,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Consulting", "quantity": 1, "price_unit": amount, "tax_ids": []}
                    )
                ],
            }
        )
        move.action_post()
        return move

    # Refused or not.

    def test_over_the_allowance_is_refused_with_the_numbers(self):
        self._allow(150.0)
        order = self._order()
        message = self.assertRefused(order, order.action_confirm)
        self.assertIn(
            f"Order {order.name} of 200.00 would take Bolt's exposure to 10,050.00, above "
            f"{BOUND} (allowance 150.00, rule {RULE}).",
            message,
        )

    def test_within_the_allowance_confirms_and_stamps_the_time(self):
        self._allow(200.0)
        order = self._order()
        before = fields.Datetime.now()
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        self.assertGreaterEqual(order.credit_guard_confirmed_at, before)

    def test_two_orders_together_are_over(self):
        self._allow(300.0)
        first, second = self._order(), self._order()
        first.action_confirm()
        message = self.assertRefused(second, second.action_confirm)
        self.assertIn("exposure to 10,250.00", message)
        self.assertIn(f"Order {second.name} of 200.00", message)

    def test_two_orders_confirmed_at_once_are_over(self):
        self._allow(300.0)
        orders = self._order() | self._order()
        with self.assertRaises(UserError):
            orders.action_confirm()
        self.assertEqual(set(orders.mapped("state")), {"draft"})

    def test_orders_confirmed_before_the_as_of_time_are_in_the_exposure(self):
        first = self._order()
        first.action_confirm()
        self._allow(200.0, as_of=fields.Datetime.now() + timedelta(seconds=1))
        second = self._order()
        second.action_confirm()
        self.assertEqual(second.state, "sale")

    def test_no_limit_is_never_refused(self):
        self._allow(None)
        order = self._order(qty=1000)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_never_written_is_not_refused_and_says_so(self):
        self.bolt.with_user(self.connector).write(
            {"credit_guard_allowance_limited": True, "credit_guard_allowance": 0.0}
        )
        order = self._order()
        self.assertEqual(order.credit_guard_allowance_level, "unchecked")
        self.assertIn("not checked by Credit Guard yet", order.credit_guard_allowance_info)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_an_order_in_another_currency_counts_at_the_erp_rate(self):
        other = self.env.ref("base.EUR" if self.currency.name != "EUR" else "base.USD")
        other.active = True
        self.env["res.currency.rate"].create(
            {"currency_id": other.id, "rate": 0.5, "name": fields.Date.today()}
        )
        self.env["res.currency.rate"].search(
            [("currency_id", "=", self.currency.id), ("name", "=", fields.Date.today())]
        ).unlink()
        pricelist = self.env["product.pricelist"].create(
            {"name": "Other currency", "currency_id": other.id}
        )
        self._allow(300.0)
        order = self._order(pricelist_id=pricelist.id)
        self.assertEqual(order.currency_id, other)
        message = self.assertRefused(order, order.action_confirm)
        self.assertIn(f"Order {order.name} of 400.00", message)

    def test_an_invoice_without_order_counts(self):
        self._allow(300.0)
        self._invoice(150.0)
        order = self._order()
        message = self.assertRefused(order, order.action_confirm)
        self.assertIn("exposure to 10,200.00", message)

    def test_an_invoice_of_an_order_is_not_counted_twice(self):
        self._allow(450.0)
        first = self._order()
        first.action_confirm()
        invoice = first._create_invoices()
        invoice.action_post()
        second = self._order()
        second.action_confirm()
        self.assertEqual(second.state, "sale")

    def test_an_invoice_paid_since_is_not_counted_again(self):
        invoice = self._invoice(150.0)
        self._allow(200.0, as_of=fields.Datetime.now() + timedelta(seconds=1))
        invoice.write({"ref": "touched after the as-of time"})
        order = self._order()
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_a_contact_counts_for_its_company(self):
        self._allow(300.0)
        self._order(self.bolt_contact).action_confirm()
        order = self._order(self.bolt)
        self.assertRefused(order, order.action_confirm)

    # Flag allowance.

    def test_above_the_flag_allowance_warns_and_confirms(self):
        self._allow(None, flag=100.0)
        order = self._order()
        self.assertEqual(order.credit_guard_allowance_level, "flag")
        self.assertIn("Flag allowance left 100.00 (credit_limit.near)", order.credit_guard_allowance_info)
        warning = order._onchange_credit_guard_allowance()["warning"]
        self.assertEqual(warning["title"], "Above the customer's flag allowance")
        order.action_confirm()
        self.assertEqual(order.state, "sale")
        notes = order.message_ids.filtered(lambda m: "Credit Guard will flag" in (m.body or ""))
        self.assertEqual(len(notes), 1)
        self.assertIn(FLAG_RULE, notes.body)

    # Quotation screens.

    def test_banner_shows_the_allowance_left(self):
        self._allow(300.0)
        first, second = self._order(), self._order()
        self.assertEqual(first.credit_guard_allowance_level, "within")
        self.assertEqual(first.credit_guard_allowance_info, f"Allowance left 300.00 ({RULE})")
        first.action_confirm()
        second.invalidate_recordset()
        self.assertEqual(second.credit_guard_allowance_level, "refuse")
        self.assertIn(f"Allowance left 100.00 ({RULE})", second.credit_guard_allowance_info)
        self.assertIn("confirming it will be refused", second.credit_guard_allowance_info)
        self.assertFalse(first.credit_guard_allowance_info, "no banner on confirmed orders")

    def test_onchange_warns_above_the_allowance(self):
        self._allow(150.0)
        with self.assertLogs("odoo.tests.form.onchange") as logs:
            with Form(self.env["sale.order"].with_user(self.salesman)) as form:
                form.partner_id = self.bolt
                with form.order_line.new() as line:
                    line.product_id = self.product
                    line.product_uom_qty = 2
        self.assertIn("Above the customer's order allowance", "\n".join(logs.output))

    def test_onchange_silent_within_the_allowance(self):
        self._allow(1000.0)
        order = self.env["sale.order"].with_user(self.salesman).new({"partner_id": self.bolt.id})
        self.assertFalse(order._onchange_credit_guard_allowance())

    # Every path.

    def test_bypass_context(self):
        self._allow(150.0)
        order = self._order()
        bypass = order.with_context(bypass_risk=True, skip_credit_guard=True, force=True)
        self.assertRefused(order, bypass.action_confirm)
        self.assertRefused(order, order.sudo().action_confirm)

    def test_write_of_the_state(self):
        self._allow(150.0)
        order = self._order()
        self.assertRefused(order, lambda: order.write({"state": "sale"}))

    def test_write_of_the_state_within_stamps_the_time(self):
        self._allow(200.0)
        order = self._order()
        order.write({"state": "sale"})
        self.assertTrue(order.credit_guard_confirmed_at)

    def test_create_and_import_of_a_confirmed_order(self):
        self._allow(50.0)
        with self.assertRaises(UserError):
            self._order(state="sale")
        result = self.env(user=self.salesman)["sale.order"].load(
            ["partner_id/.id", "state", "order_line/product_id/.id"],
            [[str(self.bolt.id), "sale", str(self.product.id)]],
        )
        self.assertFalse(result["ids"])
        self.assertIn("would take Bolt's exposure", result["messages"][0]["message"])

    def test_copy_counts_the_original(self):
        self._allow(300.0)
        order = self._order()
        order.action_confirm()
        copy = order.copy()
        self.assertFalse(copy.credit_guard_confirmed_at)
        self.assertRefused(copy, copy.action_confirm)

    def test_server_action(self):
        self._allow(150.0)
        order = self._order()
        self.assertRefused(order, self._server_action_confirm(order))

    def test_moving_a_confirmed_order_above_another_customers_allowance(self):
        order = self._order(self.good)
        order.action_confirm()
        self._allow(150.0)
        with self.assertRaises(UserError):
            order.write({"partner_id": self.bolt.id})

    def test_confirmation_time_is_not_forged(self):
        order = self._order()
        with self.assertRaises(AccessError):
            order.with_user(self.salesman).write(
                {"credit_guard_confirmed_at": "2000-01-01 00:00:00"}
            )

    def test_salesman_cannot_write_the_allowance(self):
        self._allow(150.0)
        for vals in (
            {"credit_guard_allowance": 1e6},
            {"credit_guard_allowance_limited": False},
            {"credit_guard_allowance_as_of": False},
            {"credit_guard_exposure": 0.0},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                self.bolt.with_user(self.salesman).write(vals)
        self.assertEqual(self.bolt_contact.credit_guard_allowance, 150.0, "a commercial field")

    # Override.

    def test_override_confirms_above_the_allowance(self):
        self._allow(150.0)
        order = self._order()
        action = order.with_user(self.overrider).action_credit_guard_override()
        wizard_model = self.env[action["res_model"]].with_user(self.overrider)
        wizard = wizard_model.with_context(**action["context"]).create(
            {"reason": "Paid in advance"}
        )
        self.assertIn("would take Bolt's exposure", wizard.hold_reason)
        wizard.action_confirm_override()
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.credit_guard_override_user_id, self.overrider)
        message = order.message_ids.filtered(
            lambda m: m.subtype_id == self.env.ref("credit_guard.mt_credit_guard_override")
        )
        self.assertEqual(len(message), 1)
        self.assertIn("Paid in advance", message.body)
        self.assertIn("allowance 150.00", message.body)

    def test_salesman_cannot_override(self):
        self._allow(150.0)
        order = self._order()
        with self.assertRaises(AccessError):
            order.with_user(self.salesman)._credit_guard_confirm_with_override("I say so")
        self.assertEqual(order.state, "draft")
