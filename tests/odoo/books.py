"""Build books in a real Odoo over RPC, as an administrator: customers, contacts, invoices in the past, payments,
quotations and orders, users with groups; and clean up what was built."""
from __future__ import annotations

import datetime as dt
import uuid

from creditguard.connector.erp.odoo.client import OdooClient


class OdooBooks:
    def __init__(self, admin: OdooClient):
        self.admin = admin
        self.tag = uuid.uuid4().hex[:6]            # names made here carry it: tests never see each other's records
        self.partners, self.moves, self.orders, self.users = [], [], [], []
        self._product = None
        # renamed in 19.0: a user's groups, an order line's taxes
        self.groups_field = "group_ids" if admin.version[0] >= 19 else "groups_id"
        self.line_taxes = "tax_ids" if admin.version[0] >= 19 else "tax_id"

    def name(self, text) -> str:
        return f"{text} {self.tag}"

    def customer(self, name, credit_limit=0.0, country="DE") -> int:
        country_id = self.admin.search("res.country", [("code", "=", country)], limit=1)[0]
        partner = self.admin.create("res.partner", {"name": self.name(name), "is_company": True,
                                                    "country_id": country_id, "credit_limit": credit_limit,
                                                    "customer_rank": 1})
        self.partners.append(partner)
        return partner

    def contact(self, company, name) -> int:
        partner = self.admin.create("res.partner", {"name": self.name(name), "parent_id": company})
        self.partners.append(partner)
        return partner

    def invoice(self, partner, amount, invoice_date: dt.date, term_days=30) -> int:
        term = self._term(term_days)
        move = self.admin.create("account.move", {
            "move_type": "out_invoice", "partner_id": partner, "invoice_date": invoice_date.isoformat(),
            "invoice_payment_term_id": term,
            "invoice_line_ids": [(0, 0, {"name": "Consulting", "quantity": 1, "price_unit": amount,
                                         "tax_ids": [(6, 0, [])]})]})
        self.admin.call("account.move", "action_post", [move])
        self.moves.append(move)
        return move

    def pay(self, move) -> None:
        context = {"active_model": "account.move", "active_ids": [move]}
        wizard = self.admin.call("account.payment.register", "create", {}, context={**self.admin.context, **context})
        self.admin.call("account.payment.register", "action_create_payments", [wizard],
                        context={**self.admin.context, **context})

    def quotation(self, partner, amount, client=None) -> int:
        client = client or self.admin
        order = client.create("sale.order", {"partner_id": partner, "order_line": [
            (0, 0, {"product_id": self.product(), "product_uom_qty": 1, "price_unit": amount, self.line_taxes: [(6, 0, [])]})]})
        self.orders.append(order)
        return order

    def product(self) -> int:
        if self._product is None:
            found = self.admin.search("product.product", [("default_code", "=", "CG-TEST")], limit=1)
            self._product = found[0] if found else self.admin.create(
                "product.product", {"name": "Credit Guard test service", "default_code": "CG-TEST",
                                    "type": "service", "list_price": 100})
        return self._product

    def user(self, login, groups: list[str]) -> tuple[str, str]:
        """A user in these groups (xml ids); returns (login, password)."""
        login, password = f"{login}-{self.tag}", f"Pw-{uuid.uuid4().hex}"
        group_ids = [self._group(g) for g in groups]
        user = self.admin.create("res.users", {"name": login, "login": login, "password": password,
                                               "email": f"{login}@example.com",
                                               self.groups_field: [(6, 0, group_ids)]})
        self.users.append(user)
        return login, password

    def set_groups(self, user, groups: list[str]) -> None:
        """The user's groups become these (xml ids) and the ones they imply."""
        self.admin.write("res.users", [user], {self.groups_field: [(6, 0, [self._group(g) for g in groups])]})

    def _group(self, xml_id) -> int:
        module, name = xml_id.split(".")
        [row] = self.admin.search_read("ir.model.data", [("module", "=", module), ("name", "=", name)], ["res_id"])
        return row["res_id"]

    def _term(self, days) -> int | None:
        if not days:
            return None
        found = self.admin.search("account.payment.term", [("name", "=", f"{days} Days")], limit=1)
        return found[0] if found else None

    def cleanup(self) -> None:
        """Cancel and remove what was built (posted invoices are cancelled: cancelled documents never count)."""
        admin = self.admin
        for order in self.orders:
            admin.call("sale.order", "action_cancel", [order])
        if self.moves:
            admin.call("account.move", "button_draft", self.moves)
            admin.call("account.move", "button_cancel", self.moves)
        if self.partners:
            admin.write("res.partner", self.partners, {"active": False})
        if self.users:
            admin.write("res.users", self.users, {"active": False})
