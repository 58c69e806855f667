# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A held customer's order is never confirmed, except through the audited override."""

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

OVERRIDE_GROUP = "credit_guard.group_credit_override"
OVERRIDE_FIELDS = frozenset(
    {
        "credit_guard_override_reason",
        "credit_guard_override_user_id",
        "credit_guard_override_date",
    }
)
OPEN_STATES = ("draft", "sent")


class SaleOrder(models.Model):
    _inherit = "sale.order"

    credit_guard_hold = fields.Boolean(
        string="Customer on credit hold",
        compute="_compute_credit_guard_warning",
    )
    credit_guard_warning = fields.Text(
        string="Credit Guard warning",
        compute="_compute_credit_guard_warning",
        help="Why the customer of this quotation is held or flagged.",
    )
    credit_guard_override_reason = fields.Text(
        string="Credit override reason", copy=False, readonly=True
    )
    credit_guard_override_user_id = fields.Many2one(
        comodel_name="res.users", string="Credit override by", copy=False, readonly=True
    )
    credit_guard_override_date = fields.Datetime(
        string="Credit override on", copy=False, readonly=True
    )

    def _credit_guard_partners(self):
        """Commercial partners whose hold or flag applies to the order."""
        self.ensure_one()
        return (self.partner_id | self.partner_invoice_id).commercial_partner_id

    def _credit_guard_held_partner(self):
        """The first held commercial partner of the order, unless it was overridden."""
        self.ensure_one()
        if self.credit_guard_override_date:
            return self.env["res.partner"]
        held = self._credit_guard_partners().sudo().filtered("credit_guard_hold")
        return held[:1]

    @api.depends(
        "state",
        "partner_id.commercial_partner_id.credit_guard_hold",
        "partner_id.commercial_partner_id.credit_guard_hold_reason",
        "partner_id.commercial_partner_id.credit_guard_flag",
        "partner_id.commercial_partner_id.credit_guard_flag_reason",
        "partner_invoice_id.commercial_partner_id.credit_guard_hold",
        "partner_invoice_id.commercial_partner_id.credit_guard_flag",
    )
    def _compute_credit_guard_warning(self):
        for order in self:
            partners = order._credit_guard_partners().sudo()
            order.credit_guard_hold = any(partners.mapped("credit_guard_hold"))
            order.credit_guard_warning = (
                partners._credit_guard_message()
                if order.state in OPEN_STATES
                else False
            )

    @api.onchange("partner_id")
    def _onchange_partner_id_credit_guard(self):
        partner = self.partner_id.commercial_partner_id.sudo()
        message = partner._credit_guard_message()
        if not message:
            return None
        title = (
            self.env._("Customer on credit hold")
            if partner.credit_guard_hold
            else self.env._("Customer flagged by Credit Guard")
        )
        return {"warning": {"title": title, "message": message}}

    # Refusal: action_confirm fails first with a readable error; write() and
    # create() refuse the state 'sale' itself, so no other path (RPC with any
    # context, copies, imports, server actions, portal, payment) gets around it.

    def action_confirm(self):
        self._credit_guard_check_confirm()
        return super().action_confirm()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._credit_guard_check_protected_write(vals)
        orders = super().create(vals_list)
        orders.filtered(lambda o: o.state == "sale")._credit_guard_check_confirm()
        return orders

    def write(self, vals):
        self._credit_guard_check_protected_write(vals)
        if vals.get("state") == "sale":
            self.filtered(lambda o: o.state != "sale")._credit_guard_check_confirm()
        res = super().write(vals)
        if "partner_id" in vals or "partner_invoice_id" in vals:
            self.filtered(lambda o: o.state == "sale")._credit_guard_check_held_change()
        return res

    def _credit_guard_check_held_change(self):
        """A confirmed order may not be moved onto a held customer."""
        for order in self:
            if not order.credit_guard_override_date:
                order._credit_guard_check_confirm()

    def _credit_guard_check_confirm(self):
        for order in self:
            partner = order._credit_guard_held_partner()
            if partner:
                raise UserError(
                    self.env._(
                        "The order %(order)s cannot be confirmed: the customer "
                        "%(customer)s is on credit hold. Reason: %(reason)s\n"
                        "A user of the group 'Credit override' may confirm it "
                        "with the 'Override credit hold' button and a reason.",
                        order=order.name,
                        customer=partner.display_name,
                        reason=partner.credit_guard_hold_reason
                        or self.env._("(none given)"),
                    )
                )

    def _credit_guard_check_protected_write(self, vals):
        if OVERRIDE_FIELDS.intersection(vals) and not self.env.su:
            raise AccessError(
                self.env._(
                    "The credit override is recorded only by the override action."
                )
            )

    def action_draft(self):
        res = super().action_draft()
        self.sudo().write(dict.fromkeys(OVERRIDE_FIELDS, False))
        return res

    # Override.

    def action_credit_guard_override(self):
        """Open the wizard that confirms a held customer's order with a reason."""
        self._credit_guard_check_override_group()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Override credit hold"),
            "res_model": "credit.guard.override.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_ids": self.ids},
        }

    def _credit_guard_check_override_group(self):
        if not self.env.user.has_group(OVERRIDE_GROUP):
            raise AccessError(
                self.env._(
                    "Only members of the group '%(group)s' may override a credit hold.",
                    group=self.env.ref(OVERRIDE_GROUP).name,
                )
            )

    def _credit_guard_confirm_with_override(self, reason):
        """Record the override and its reason in the chatter, then confirm."""
        self._credit_guard_check_override_group()
        if not (reason or "").strip():
            raise UserError(self.env._("A credit override needs a reason."))
        for order in self:
            partner = order._credit_guard_held_partner()
            if not partner:
                continue
            order.sudo().write(
                {
                    "credit_guard_override_reason": reason,
                    "credit_guard_override_user_id": self.env.uid,
                    "credit_guard_override_date": fields.Datetime.now(),
                }
            )
            order.message_post(
                body=Markup(
                    "<p><b>%s</b></p><p>%s</p><p>%s</p>"
                ) % (
                    self.env._("Credit hold overridden"),
                    self.env._(
                        "Customer %(customer)s is on credit hold: %(hold)s",
                        customer=partner.display_name,
                        hold=partner.credit_guard_hold_reason or "",
                    ),
                    self.env._("Override reason: %(reason)s", reason=reason),
                ),
                subtype_xmlid="credit_guard.mt_credit_guard_override",
            )
        return self.action_confirm()
