# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The notices to `creditguard serve`: queued for after the commit, per customer, signed."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from odoo.fields import Command
from odoo.tests import tagged

from ..models.notify import NOTICES, _send
from .common import CreditGuardCase

URL = "http://127.0.0.1:9/webhook"
SECRET = "s3cret"


@tagged("post_install", "-at_install")
class TestNotify(CreditGuardCase):
    def setUp(self):
        super().setUp()
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("credit_guard.webhook_url", URL)
        params.set_param("credit_guard.webhook_secret", SECRET)
        self.env.cr.postcommit.data.pop(NOTICES, None)
        self.customer = self.env["res.partner"].create({"name": "Notice Co", "is_company": True})
        self.contact = self.env["res.partner"].create(
            {"name": "Nina", "parent_id": self.customer.id}
        )
        self.env.cr.postcommit.data.pop(NOTICES, None)  # creating them is no change of ours

    def queued(self):
        """(event, model, ids, customers) queued for after the commit."""
        return [
            (event, model, ids, customers)
            for event, model, ids, customers in self.env.cr.postcommit.data.get(
                NOTICES, {"changes": []}
            )["changes"]
        ]

    def test_a_confirmed_order_queues_its_commercial_partner(self):
        order = self._quotation(self.contact, user=self.salesman)
        self.assertEqual(self.queued(), [], "a quotation is no change")
        order.action_confirm()
        self.assertEqual(
            self.queued(), [("sale.order.confirm", "sale.order", order.ids, [self.customer.id])]
        )

    def test_a_posted_invoice_and_its_payment_queue_the_customer(self):
        move = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": self.contact.id,
                "invoice_line_ids": [
                    Command.create({"name": "Work", "quantity": 1, "price_unit": 500.0, "tax_ids": []})
                ],
            }
        )
        move.action_post()
        self.assertIn(("account.move.post", "account.move", move.ids, [self.customer.id]), self.queued())
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids
        ).create({"amount": 200.0})._create_payments()
        events = [(event, customers) for event, _model, _ids, customers in self.queued()]
        self.assertIn(("account.move.line.reconcile", [self.customer.id]), events)

    def test_a_credit_limit_change_queues_the_customer(self):
        self.customer.write({"credit_limit": 5000.0})
        self.assertEqual(
            self.queued(),
            [("res.partner.credit_limit", "res.partner", self.customer.ids, [self.customer.id])],
        )

    def test_without_a_url_nothing_is_queued(self):
        self.env["ir.config_parameter"].sudo().set_param("credit_guard.webhook_url", False)
        self._quotation(self.customer).action_confirm()
        self.assertEqual(self.queued(), [])

    def test_the_notice_is_signed_with_the_shared_secret(self):
        received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((body, self.headers["X-Creditguard-Signature"]))
                self.send_response(202)
                self.end_headers()

            def log_message(self, *args):
                pass

        server = HTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.handle_request, daemon=True)
        thread.start()
        try:
            url = f"http://127.0.0.1:{server.server_port}/webhook"
            _send({"url": url, "secret": SECRET,
                   "changes": [("sale.order.confirm", "sale.order", [42], [7])]})
            thread.join(5)
        finally:
            server.server_close()
        (body, signature), = received
        self.assertEqual(
            json.loads(body),
            {"event": "sale.order.confirm", "model": "sale.order", "ids": [42], "customers": ["7"]},
        )
        expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        self.assertEqual(signature, f"sha256={expected}")

    def test_a_service_that_is_down_costs_nothing(self):
        _send({"url": URL, "secret": SECRET, "changes": [("x", "sale.order", [1], [1])]})
