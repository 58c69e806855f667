# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Hold, flag and insurer-cover fields of a commercial partner, and who may write them."""

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from .notify import notify

HOLD_ORIGINS = [("credit_guard", "Credit Guard"), ("manual", "Manual")]
COVER_STATUSES = [
    ("approved", "Approved"),
    ("partial", "Partially approved"),
    ("pending", "Pending"),
    ("refused", "Refused"),
    ("cancelled", "Cancelled"),
    ("expired", "Expired"),
]
# A credit manager may write these, and only to place or lift a manual hold.
MANUAL_HOLD_FIELDS = frozenset(
    {
        "credit_guard_hold",
        "credit_guard_hold_reason",
        "credit_guard_hold_rules",
        "credit_guard_hold_since",
        "credit_guard_hold_origin",
    }
)
# Only the connector group and administrators may write these (the field contract).
CREDIT_GUARD_FIELDS = MANUAL_HOLD_FIELDS | {
    "credit_guard_flag",
    "credit_guard_flag_reason",
    "credit_guard_cover_amount",
    "credit_guard_cover_currency_id",
    "credit_guard_cover_status",
    "credit_guard_cover_valid_until",
    "credit_guard_cover_request_pending",
}
# The order allowance (docs/allowance.md): written by the connector, checked at confirm.
ALLOWANCE_FIELDS = frozenset(
    {
        "credit_guard_allowance",
        "credit_guard_allowance_limited",
        "credit_guard_allowance_rule",
        "credit_guard_allowance_bound",
        "credit_guard_flag_allowance",
        "credit_guard_flag_allowance_limited",
        "credit_guard_flag_allowance_rule",
        "credit_guard_flag_allowance_bound",
        "credit_guard_exposure",
        "credit_guard_allowance_currency",
        "credit_guard_allowance_as_of",
    }
)
CREDIT_GUARD_FIELDS |= ALLOWANCE_FIELDS
# Odoo's own credit limit (account): changing it changes what the policy allows.
LIMIT_FIELDS = frozenset({"credit_limit", "use_partner_credit_limit"})
CONNECTOR_GROUP = "credit_guard.group_connector"
CREDIT_MANAGER_GROUP = "credit_guard.group_credit_manager"


class ResPartner(models.Model):
    _inherit = "res.partner"

    credit_guard_hold = fields.Boolean(
        string="On credit hold",
        copy=False,
        tracking=True,
        help="Sale orders of this customer cannot be confirmed "
        "(except through the credit override).",
    )
    credit_guard_hold_reason = fields.Text(string="Hold reason", copy=False)
    credit_guard_hold_rules = fields.Char(
        string="Hold rules",
        copy=False,
        help="Comma-separated ids of the Credit Guard rules that hold the customer.",
    )
    credit_guard_hold_since = fields.Datetime(string="On hold since", copy=False)
    credit_guard_hold_origin = fields.Selection(
        selection=HOLD_ORIGINS,
        string="Hold origin",
        copy=False,
        tracking=True,
        help="Credit Guard lifts its own holds; a manual hold is lifted "
        "only by a credit manager.",
    )
    credit_guard_flag = fields.Boolean(string="Flagged", copy=False, tracking=True)
    credit_guard_flag_reason = fields.Text(string="Flag reason", copy=False)
    credit_guard_cover_amount = fields.Monetary(
        string="Insured cover",
        currency_field="credit_guard_cover_currency_id",
        copy=False,
    )
    credit_guard_cover_currency_id = fields.Many2one(
        comodel_name="res.currency", string="Cover currency", copy=False
    )
    credit_guard_cover_status = fields.Selection(
        selection=COVER_STATUSES, string="Cover status", copy=False, tracking=True
    )
    credit_guard_cover_valid_until = fields.Date(string="Cover valid until", copy=False)
    credit_guard_cover_request_pending = fields.Boolean(
        string="Cover request pending", copy=False
    )
    credit_guard_allowance = fields.Float(
        string="Order allowance",
        digits=(16, 2),
        copy=False,
        help="How much more exposure (company currency) the Credit Guard policy accepts "
        "before a hold rule fires, as of the time below.",
    )
    credit_guard_allowance_limited = fields.Boolean(
        string="Allowance limited",
        copy=False,
        help="Unset: no hold rule fires for any added amount (the allowance means nothing).",
    )
    credit_guard_allowance_rule = fields.Char(
        string="Allowance rule", copy=False, help="The Credit Guard rule that bounds the allowance."
    )
    credit_guard_allowance_bound = fields.Char(
        string="Allowance bound",
        copy=False,
        help="The bound as a salesperson reads it, e.g. 'its credit limit 10,000.00'.",
    )
    credit_guard_flag_allowance = fields.Float(
        string="Flag allowance",
        digits=(16, 2),
        copy=False,
        help="How much more exposure the policy accepts before a flag rule fires.",
    )
    credit_guard_flag_allowance_limited = fields.Boolean(
        string="Flag allowance limited", copy=False
    )
    credit_guard_flag_allowance_rule = fields.Char(string="Flag allowance rule", copy=False)
    credit_guard_flag_allowance_bound = fields.Char(string="Flag allowance bound", copy=False)
    credit_guard_exposure = fields.Float(
        string="Exposure (Credit Guard)",
        digits=(16, 2),
        copy=False,
        help="The exposure the allowances were computed from, company currency.",
    )
    credit_guard_allowance_currency = fields.Char(
        string="Allowance currency", copy=False, help="ISO code of the company currency."
    )
    credit_guard_allowance_as_of = fields.Datetime(
        string="Allowance as of",
        copy=False,
        help="When Credit Guard read the exposure: orders confirmed and invoices posted "
        "since then are added at confirm. Empty: not checked by Credit Guard yet.",
    )
    credit_guard_can_edit = fields.Boolean(
        compute="_compute_credit_guard_can_edit",
        help="Technical: the user may edit the Credit Guard fields in the form.",
    )
    credit_guard_can_hold_manually = fields.Boolean(
        compute="_compute_credit_guard_can_edit",
        help="Technical: the user may place or lift a manual hold.",
    )

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + sorted(CREDIT_GUARD_FIELDS)

    @api.depends_context("uid")
    def _compute_credit_guard_can_edit(self):
        is_connector = self._credit_guard_is_connector()
        is_manager = self.env.user.has_group(CREDIT_MANAGER_GROUP)
        for partner in self:
            is_commercial = partner.commercial_partner_id == partner
            partner.credit_guard_can_edit = is_connector and is_commercial
            partner.credit_guard_can_hold_manually = is_manager and is_commercial

    def _credit_guard_is_connector(self):
        return (
            self.env.su
            or self.env.user.has_group(CONNECTOR_GROUP)
            or self.env.user.has_group("base.group_system")
        )

    def _credit_guard_message(self):
        """The hold and flag reasons of the partners, one line each; False if none."""
        lines = []
        for partner in self:
            if partner.credit_guard_hold:
                lines.append(
                    _(
                        "%(customer)s is on credit hold: %(reason)s",
                        customer=partner.display_name,
                        reason=partner.credit_guard_hold_reason
                        or _("(no reason given)"),
                    )
                )
            if partner.credit_guard_flag:
                lines.append(
                    _(
                        "%(customer)s is flagged: %(reason)s",
                        customer=partner.display_name,
                        reason=partner.credit_guard_flag_reason
                        or _("(no reason given)"),
                    )
                )
        return "\n".join(lines) or False

    # Writing the fields: the connector group and administrators only; a credit
    # manager may place and lift a manual hold. Checked here, so RPC, imports and
    # server actions obey it as the form does.

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self.browse()._check_credit_guard_write(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._check_credit_guard_write(vals)
        if LIMIT_FIELDS.intersection(vals):
            commercial = self.commercial_partner_id  # the limit is the company's; contacts follow
            notify(self.env, "res.partner.credit_limit", "res.partner", commercial.ids, commercial)
        if not {"parent_id", "is_company"}.intersection(vals):
            return super().write(vals)
        held_before = self.filtered(lambda p: p.commercial_partner_id.credit_guard_hold)
        res = super().write(vals)
        held_before._check_credit_guard_still_held()
        return res

    @api.model
    def credit_guard_write_many(self, groups):
        """Write Credit Guard's fields on many partners in one call: `groups` is a list of
        [partner ids, values], each applied as that user's own `write` would be (same
        access checks, same tracking). Only the Credit Guard fields may be given: this is
        not a general-purpose write. Returns True."""
        for ids, vals in groups:
            if not isinstance(vals, dict) or not set(vals) <= CREDIT_GUARD_FIELDS:
                raise UserError(
                    _(
                        "credit_guard_write_many writes the Credit Guard fields only; "
                        "got %(fields)s",
                        fields=", ".join(sorted(set(vals) - CREDIT_GUARD_FIELDS))
                        if isinstance(vals, dict)
                        else repr(vals),
                    )
                )
            self.browse(ids).write(vals)
        return True

    def _check_credit_guard_still_held(self):
        """Moving or merging a held customer into another company must not lift its hold."""
        if self._credit_guard_is_connector():
            return
        released = self.filtered(lambda p: not p.commercial_partner_id.credit_guard_hold)
        if released:
            raise AccessError(
                _(
                    "%(partner)s belongs to a customer on credit hold; moving or merging "
                    "it into another company would lift the hold. Only the group "
                    "'%(group)s' (and administrators) may.",
                    partner=released[0].display_name,
                    group=self.env.ref(CONNECTOR_GROUP).name,
                )
            )

    def _check_credit_guard_write(self, vals):
        touched = CREDIT_GUARD_FIELDS.intersection(vals)
        if not touched or self._credit_guard_is_connector():
            return
        records = self or [self.browse()]
        changed = set()
        for partner in records:
            changed |= partner._credit_guard_changed_fields(vals, touched)
        if not changed:
            return
        if self.env.user.has_group(CREDIT_MANAGER_GROUP) and all(
            partner._credit_guard_is_manual_hold_change(vals, changed)
            for partner in records
        ):
            return
        raise AccessError(
            _(
                "You may not change the Credit Guard fields %(fields)s of customers: "
                "only the group '%(group)s' (and administrators) may; a credit manager "
                "may only place or lift a manual hold.",
                fields=", ".join(sorted(changed)),
                group=self.env.ref(CONNECTOR_GROUP).name,
            )
        )

    def _credit_guard_changed_fields(self, vals, fnames):
        """Fields of ``vals`` whose value differs from the commercial partner's.

        Odoo copies commercial fields onto contacts; such a copy is no change.
        """
        source = self.commercial_partner_id if self else self
        changed = set()
        for fname in fnames:
            field = self._fields[fname]
            new = field.convert_to_cache(vals[fname], source, validate=False)
            old = field.convert_to_cache(source[fname], source, validate=False)
            if (new or False) != (old or False):
                changed.add(fname)
        return changed

    def _credit_guard_is_manual_hold_change(self, vals, changed):
        """Whether ``vals`` only places, edits or lifts a manual hold."""
        if not changed <= MANUAL_HOLD_FIELDS:
            return False
        current = self.commercial_partner_id if self else self
        if current.credit_guard_hold and current.credit_guard_hold_origin != "manual":
            return False
        hold = vals.get("credit_guard_hold", current.credit_guard_hold)
        origin = vals.get("credit_guard_hold_origin", current.credit_guard_hold_origin)
        return not hold or origin == "manual"

    # Manual hold buttons.

    def action_credit_guard_manual_hold(self):
        """Open the wizard that asks the reason of a manual hold."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Place manual hold"),
            "res_model": "credit.guard.manual.hold.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.commercial_partner_id.id},
        }

    def credit_guard_place_manual_hold(self, reason):
        """Place a manual hold with ``reason`` on the commercial partners."""
        partners = self.commercial_partner_id
        held = partners.filtered(
            lambda p: p.credit_guard_hold and p.credit_guard_hold_origin != "manual"
        )
        if held:
            raise UserError(
                _(
                    "%(customer)s is already on a Credit Guard hold.",
                    customer=held[0].display_name,
                )
            )
        partners.write(
            {
                "credit_guard_hold": True,
                "credit_guard_hold_origin": "manual",
                "credit_guard_hold_reason": reason,
                "credit_guard_hold_rules": False,
                "credit_guard_hold_since": fields.Datetime.now(),
            }
        )
        return True

    def action_credit_guard_lift_manual_hold(self):
        """Lift the manual hold of the commercial partners."""
        partners = self.commercial_partner_id
        not_manual = partners.filtered(
            lambda p: p.credit_guard_hold and p.credit_guard_hold_origin != "manual"
        )
        if not_manual:
            raise UserError(
                _(
                    "%(customer)s is held by Credit Guard, not manually: "
                    "Credit Guard lifts that hold when its rules no longer hold.",
                    customer=not_manual[0].display_name,
                )
            )
        partners.filtered("credit_guard_hold").write(
            {
                "credit_guard_hold": False,
                "credit_guard_hold_origin": False,
                "credit_guard_hold_reason": False,
                "credit_guard_hold_since": False,
            }
        )
        return True
