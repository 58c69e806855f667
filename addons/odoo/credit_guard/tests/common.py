# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A held company with a contact, a flagged company, a quotation, and one user per role."""

from odoo.fields import Command
from odoo.tests import TransactionCase, new_test_user

HOLD_REASON = "Invoice INV/2026/0007 is 95 days overdue (extension period 60 days)"
FLAG_REASON = "Exposure 46000 is above 90% of the credit limit 50000"


class CreditGuardCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        # Internal users get "Contact Creation" by default in a real database.
        salesman = "sales_team.group_sale_salesman,base.group_partner_manager"
        all_orders = "sales_team.group_sale_salesman_all_leads,base.group_partner_manager"
        cls.salesman = new_test_user(cls.env, "cg_salesman", groups=salesman)
        cls.connector = new_test_user(
            cls.env, "cg_connector", groups="base.group_user,credit_guard.group_connector"
        )
        cls.credit_manager = new_test_user(
            cls.env, "cg_manager", groups=f"{salesman},credit_guard.group_credit_manager"
        )
        cls.overrider = new_test_user(
            cls.env, "cg_override", groups=f"{all_orders},credit_guard.group_credit_override"
        )
        cls.held = cls.env["res.partner"].create(
            {
                "name": "Held Exports GmbH",
                "is_company": True,
                "credit_guard_hold": True,
                "credit_guard_hold_reason": HOLD_REASON,
                "credit_guard_hold_rules": "extension_period.exceeded",
                "credit_guard_hold_origin": "credit_guard",
            }
        )
        cls.held_contact = cls.env["res.partner"].create(
            {"name": "Anna Buyer", "parent_id": cls.held.id}
        )
        cls.flagged = cls.env["res.partner"].create(
            {
                "name": "Flagged Trading Ltd",
                "is_company": True,
                "credit_guard_flag": True,
                "credit_guard_flag_reason": FLAG_REASON,
            }
        )
        cls.good = cls.env["res.partner"].create({"name": "Good Customer SA", "is_company": True})
        cls.product = cls.env["product.product"].create(
            {"name": "Widget", "list_price": 100.0, "taxes_id": [Command.clear()]}
        )

    def _server_action_confirm(self, order):
        """A server action that confirms ``order`` with a risk-bypass context: its run method."""
        action = self.env["ir.actions.server"].create(
            {
                "name": "Confirm",
                "model_id": self.env.ref("sale.model_sale_order").id,
                "state": "code",
                "code": "records.with_context(bypass_risk=True).action_confirm()",
            }
        )
        return action.with_context(active_model="sale.order", active_ids=order.ids).run

    @classmethod
    def _quotation(cls, partner, user=None):
        env = cls.env(user=user) if user else cls.env
        return env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [Command.create({"product_id": cls.product.id, "product_uom_qty": 2})],
            }
        )
