# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Merging a held customer into one that is not held must not lift the hold."""

from odoo import models


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _merge(self, partner_ids, dst_partner=None, extra_checks=True):
        partners = self.env["res.partner"].browse(partner_ids).exists()
        held = partners.filtered(lambda p: p.commercial_partner_id.credit_guard_hold)
        res = super()._merge(partner_ids, dst_partner=dst_partner, extra_checks=extra_checks)
        if held:
            partners.exists()._check_credit_guard_still_held()
        return res
