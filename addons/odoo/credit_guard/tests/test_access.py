# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Who may write the hold, flag and cover fields."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import HOLD_REASON, CreditGuardCase


@tagged("post_install", "-at_install")
class TestAccess(CreditGuardCase):
    def test_salesman_cannot_write_hold_fields(self):
        for vals in (
            {"credit_guard_hold": False},
            {"credit_guard_hold_reason": "nothing to see"},
            {"credit_guard_flag": True},
            {"credit_guard_cover_amount": 1e6},
            {"credit_guard_cover_status": "approved"},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                self.held.with_user(self.salesman).write(vals)
        self.assertTrue(self.held.credit_guard_hold)

    def test_salesman_cannot_create_a_held_customer(self):
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.salesman).create(
                {"name": "Self-held", "credit_guard_hold": True}
            )

    def test_salesman_edits_other_fields_and_contacts(self):
        self.held.with_user(self.salesman).write({"phone": "+49 30 1234"})
        contact = self.env["res.partner"].with_user(self.salesman).create(
            {"name": "New buyer", "parent_id": self.held.id}
        )
        self.assertTrue(contact.credit_guard_hold, "contacts carry the company's hold")
        self.assertEqual(contact.credit_guard_hold_reason, HOLD_REASON)

    def test_write_many_applies_each_group_with_the_callers_rights(self):
        partners = self.env["res.partner"]
        partners.with_user(self.connector).credit_guard_write_many(
            [
                [[self.good.id], {"credit_guard_flag": True, "credit_guard_flag_reason": "Near"}],
                [[self.held.id], {"credit_guard_hold": False, "credit_guard_hold_reason": False}],
            ]
        )
        self.assertTrue(self.good.credit_guard_flag)
        self.assertEqual(self.good.credit_guard_flag_reason, "Near")
        self.assertFalse(self.held.credit_guard_hold)
        self.assertFalse(self.held_contact.credit_guard_hold, "the release reaches contacts")
        with self.assertRaises(AccessError):
            partners.with_user(self.salesman).credit_guard_write_many(
                [[[self.good.id], {"credit_guard_flag": False}]]
            )
        self.assertTrue(self.good.credit_guard_flag)

    def test_write_many_writes_credit_guard_fields_only(self):
        with self.assertRaises(UserError):
            self.env["res.partner"].with_user(self.connector).credit_guard_write_many(
                [[[self.good.id], {"credit_guard_flag": True, "name": "Renamed"}]]
            )
        self.assertNotEqual(self.good.name, "Renamed")

    def test_connector_writes_all_fields(self):
        eur = self.env.ref("base.EUR")
        self.good.with_user(self.connector).write(
            {
                "credit_guard_hold": True,
                "credit_guard_hold_reason": "Cover refused",
                "credit_guard_hold_rules": "cover.refused,credit_limit.exceeded",
                "credit_guard_hold_since": "2026-11-26 08:00:00",
                "credit_guard_hold_origin": "credit_guard",
                "credit_guard_flag": True,
                "credit_guard_flag_reason": "Terms beyond policy",
                "credit_guard_cover_amount": 40000,
                "credit_guard_cover_currency_id": eur.id,
                "credit_guard_cover_status": "refused",
                "credit_guard_cover_valid_until": "2027-06-30",
                "credit_guard_cover_request_pending": True,
            }
        )
        self.assertEqual(self.good.credit_guard_cover_status, "refused")
        self.assertEqual(self.good.credit_guard_cover_currency_id, eur)
        self.held.with_user(self.connector).write({"credit_guard_hold": False})
        self.assertFalse(self.held_contact.credit_guard_hold, "the release reaches contacts")

    def test_credit_manager_places_and_lifts_a_manual_hold(self):
        wizard = (
            self.env["credit.guard.manual.hold.wizard"]
            .with_user(self.credit_manager)
            .create({"partner_id": self.good.id, "reason": "Lawsuit pending"})
        )
        wizard.action_place_hold()
        self.assertTrue(self.good.credit_guard_hold)
        self.assertEqual(self.good.credit_guard_hold_origin, "manual")
        self.assertEqual(self.good.credit_guard_hold_reason, "Lawsuit pending")
        self.assertTrue(self.good.credit_guard_hold_since)
        order = self._quotation(self.good, user=self.salesman)
        with self.assertRaises(UserError):
            order.action_confirm()
        self.good.with_user(self.credit_manager).action_credit_guard_lift_manual_hold()
        self.assertFalse(self.good.credit_guard_hold)
        order.action_confirm()
        self.assertEqual(order.state, "sale")

    def test_credit_manager_cannot_touch_a_credit_guard_hold(self):
        manager_partner = self.held.with_user(self.credit_manager)
        with self.assertRaises(AccessError):
            manager_partner.write({"credit_guard_hold": False})
        with self.assertRaises(AccessError):
            manager_partner.write({"credit_guard_hold_origin": "manual"})
        with self.assertRaises(UserError):
            manager_partner.action_credit_guard_lift_manual_hold()
        with self.assertRaises(AccessError):
            self.good.with_user(self.credit_manager).write({"credit_guard_flag": True})
        with self.assertRaises(AccessError):
            self.good.with_user(self.credit_manager).write(
                {"credit_guard_hold": True, "credit_guard_hold_origin": "credit_guard"}
            )

    def test_salesman_cannot_place_a_manual_hold(self):
        with self.assertRaises(AccessError):
            self.env["credit.guard.manual.hold.wizard"].with_user(self.salesman).create(
                {"partner_id": self.good.id, "reason": "x"}
            )
        with self.assertRaises(AccessError):
            self.good.with_user(self.salesman).credit_guard_place_manual_hold("x")

    def test_connector_keeps_a_manual_hold_origin(self):
        self.good.with_user(self.credit_manager).credit_guard_place_manual_hold("Lawsuit")
        self.good.with_user(self.connector).write({"credit_guard_flag": True})
        self.assertEqual(self.good.credit_guard_hold_origin, "manual")

    def test_salesman_cannot_move_a_held_customer_under_another_company(self):
        with self.assertRaises(AccessError):
            self.held.with_user(self.salesman).write(
                {"is_company": False, "parent_id": self.good.id}
            )
        with self.assertRaises(AccessError):
            self.held_contact.with_user(self.salesman).write({"parent_id": self.good.id})
        self.assertEqual(self.held_contact.commercial_partner_id, self.held)

    def test_salesman_moves_contacts_between_good_customers(self):
        contact = self.env["res.partner"].create({"name": "Ben", "parent_id": self.good.id})
        contact.with_user(self.salesman).write({"parent_id": self.flagged.id})
        self.assertEqual(contact.commercial_partner_id, self.flagged)

    def test_salesman_cannot_merge_a_held_customer_into_a_good_one(self):
        merge = self.env["base.partner.merge.automatic.wizard"].with_user(self.salesman)
        with self.assertRaises(AccessError):
            merge._merge((self.held | self.good).ids, self.good)
        self.assertTrue(self.held.exists())
