# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Asks the reason of a credit override, then confirms the orders of a held customer
or above its order allowance."""

from odoo import api, fields, models


class CreditGuardOverrideWizard(models.TransientModel):
    _name = "credit.guard.override.wizard"
    _description = "Credit Guard: override a credit hold"

    order_ids = fields.Many2many(comodel_name="sale.order", string="Orders", required=True)
    hold_reason = fields.Text(compute="_compute_hold_reason")
    reason = fields.Text(string="Override reason", required=True)

    @api.depends("order_ids")
    def _compute_hold_reason(self):
        for wizard in self:
            partners = wizard.order_ids.partner_id.commercial_partner_id
            partners |= wizard.order_ids.partner_invoice_id.commercial_partner_id
            lines = [partners.sudo()._credit_guard_message() or ""]
            lines += [order._credit_guard_allowance_refusal() or "" for order in wizard.order_ids]
            wizard.hold_reason = "\n".join(line for line in lines if line) or False

    def action_confirm_override(self):
        self.ensure_one()
        self.order_ids._credit_guard_confirm_with_override(self.reason)
        return {"type": "ir.actions.act_window_close"}
