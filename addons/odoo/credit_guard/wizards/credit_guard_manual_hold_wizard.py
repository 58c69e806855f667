# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Asks the reason of a manual credit hold, then places it."""

from odoo import fields, models


class CreditGuardManualHoldWizard(models.TransientModel):
    _name = "credit.guard.manual.hold.wizard"
    _description = "Credit Guard: place a manual credit hold"

    partner_id = fields.Many2one(comodel_name="res.partner", string="Customer", required=True)
    reason = fields.Text(string="Hold reason", required=True)

    def action_place_hold(self):
        self.ensure_one()
        self.partner_id.credit_guard_place_manual_hold(self.reason)
        return {"type": "ir.actions.act_window_close"}
