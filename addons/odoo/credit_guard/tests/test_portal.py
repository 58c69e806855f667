# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The customer's signature in the portal does not confirm a held customer's quotation."""

import json

from odoo.fields import Command
from odoo.tests import HttpCase, tagged

from .common import HOLD_REASON

# A 1x1 PNG, as the portal's signature widget sends it.
SIGNATURE = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


@tagged("post_install", "-at_install")
class TestPortalSignature(HttpCase):
    def _signed_in_portal(self, partner):
        product = self.env["product.product"].create({"name": "Widget", "list_price": 10.0})
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "require_signature": True,
                "require_payment": False,
                "order_line": [Command.create({"product_id": product.id})],
            }
        )
        order.action_quotation_sent()
        params = {"access_token": order._portal_ensure_token(), "name": "Anna Buyer",
                  "signature": SIGNATURE}
        return order, lambda: self._jsonrpc(f"/my/orders/{order.id}/accept", params)

    def _jsonrpc(self, route, params):
        body = json.dumps({"id": 0, "jsonrpc": "2.0", "method": "call", "params": params})
        response = self.url_open(route, body, headers={"Content-Type": "application/json"})
        return response.json()

    def test_signature_of_held_customer_is_refused(self):
        held = self.env["res.partner"].create(
            {"name": "Held Exports GmbH", "is_company": True, "credit_guard_hold": True,
             "credit_guard_hold_reason": HOLD_REASON, "credit_guard_hold_origin": "credit_guard"}
        )
        order, accept = self._signed_in_portal(held)
        error = accept()["error"]["data"]
        self.assertEqual(error["name"], "odoo.exceptions.UserError")
        self.assertIn(HOLD_REASON, error["message"])
        order.invalidate_recordset()
        self.assertEqual(order.state, "sent")

    def test_signature_of_good_customer_confirms(self):
        good = self.env["res.partner"].create({"name": "Good Customer SA", "is_company": True})
        order, accept = self._signed_in_portal(good)
        self.assertNotIn("error", accept())
        order.invalidate_recordset()
        self.assertEqual(order.state, "sale")
