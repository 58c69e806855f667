# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A held customer's order is never confirmed, nor one above the customer's order allowance, except
through the audited override; above the flag allowance it warns."""

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools.misc import formatLang

from .notify import notify

OVERRIDE_GROUP = "credit_guard.group_credit_override"
OVERRIDE_FIELDS = frozenset(
    {
        "credit_guard_override_reason",
        "credit_guard_override_user_id",
        "credit_guard_override_date",
    }
)
OPEN_STATES = ("draft", "sent")
# Confirmed states: 'done' exists up to 16.0 (a locked order); 17.0+ has 'sale' only.
CONFIRMED_STATES = ("sale", "done")
ALLOWANCE_LEVELS = [
    ("unchecked", "Not checked by Credit Guard yet"),
    ("within", "Within the allowance"),
    ("flag", "Above the flag allowance"),
    ("refuse", "Above the allowance"),
]


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
    credit_guard_confirmed_at = fields.Datetime(
        string="Confirmed at",
        copy=False,
        readonly=True,
        help="When the order was confirmed: Credit Guard adds the orders confirmed since "
        "the customer's allowance was computed.",
    )
    credit_guard_allowance_level = fields.Selection(
        selection=ALLOWANCE_LEVELS,
        string="Credit Guard allowance",
        compute="_compute_credit_guard_allowance",
    )
    credit_guard_allowance_info = fields.Text(
        string="Credit Guard allowance left",
        compute="_compute_credit_guard_allowance",
        help="The customer's order allowance left, and whether this quotation is above it.",
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
            _("Customer on credit hold")
            if partner.credit_guard_hold
            else _("Customer flagged by Credit Guard")
        )
        return {"warning": {"title": title, "message": message}}

    # The allowance (docs/allowance.md): what came for a customer since its allowance
    # was computed, plus this order, against the allowance the connector wrote.

    @api.model
    def _credit_guard_confirmed_states(self):
        states = self._fields["state"].get_values(self.env)
        return [state for state in CONFIRMED_STATES if state in states]

    def _credit_guard_company(self):
        return self.company_id or self.env.company

    def _credit_guard_amount(self, date=None):
        """The order's total in its company's currency, at the ERP's rate of ``date`` (today)."""
        self.ensure_one()
        company = self._credit_guard_company()
        currency = self.currency_id or company.currency_id
        return currency._convert(
            self.amount_total,
            company.currency_id,
            company,
            date or fields.Date.context_today(self),
        )

    def _credit_guard_added_since(self, partner, exclude):
        """Company-currency amount that came for ``partner`` since its allowance's as-of
        time: its orders confirmed since (but ``exclude``), and its customer invoices
        posted since that come from no order."""
        company = self._credit_guard_company()
        as_of = partner.credit_guard_allowance_as_of
        orders = (
            self.env["sale.order"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("state", "in", self._credit_guard_confirmed_states()),
                    ("credit_guard_confirmed_at", ">=", as_of),
                    ("id", "not in", exclude._origin.ids),
                    "|",
                    ("partner_id", "child_of", partner.id),
                    ("partner_invoice_id", "child_of", partner.id),
                ]
            )
        )
        added = sum(
            order._credit_guard_amount(order.date_order.date() if order.date_order else None)
            for order in orders
        )
        invoices = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("commercial_partner_id", "=", partner.id),
                    ("credit_guard_posted_at", ">=", as_of),
                ]
            )
        )
        invoices = invoices.filtered(lambda move: not move.invoice_line_ids.sale_line_ids)
        return added + sum(invoices.mapped("amount_total_signed"))

    def _credit_guard_allowances(self, batch=None, pending=None):
        """Per commercial partner with an allowance: (partner, order amount, added).

        ``added`` is this order's amount, what came since the as-of time, and
        ``pending[partner]``: the orders of ``batch`` (confirmed together) before this one.
        """
        self.ensure_one()
        batch = batch if batch is not None else self
        amount = self._credit_guard_amount()
        result = []
        for partner in self._credit_guard_partners().sudo():
            if not partner.credit_guard_allowance_as_of:
                continue
            added = (
                amount
                + (pending or {}).get(partner.id, 0.0)
                + self._credit_guard_added_since(partner, batch)
            )
            result.append((partner, amount, added))
        return result

    def _credit_guard_fmt(self, amount):
        return formatLang(self.env, amount, digits=2)

    def _credit_guard_over(self, added, allowance):
        currency = self._credit_guard_company().currency_id
        return currency.compare_amounts(added, allowance) > 0

    def _credit_guard_allowance_message(self, partner, amount, added, flag=False):
        prefix = "credit_guard_flag_allowance" if flag else "credit_guard_allowance"
        values = {
            "order": self.name or _("(new quotation)"),
            "amount": self._credit_guard_fmt(amount),
            "customer": partner.display_name,
            "exposure": self._credit_guard_fmt(partner.credit_guard_exposure + added),
            "bound": partner[f"{prefix}_bound"] or _("its allowance"),
            "allowance": self._credit_guard_fmt(partner[prefix]),
            "rule": partner[f"{prefix}_rule"] or _("(none given)"),
        }
        if flag:
            return _(
                "Order %(order)s of %(amount)s takes %(customer)s's exposure to "
                "%(exposure)s, above %(bound)s (flag allowance %(allowance)s, "
                "rule %(rule)s): Credit Guard will flag the customer.",
                **values,
            )
        return _(
            "Order %(order)s of %(amount)s would take %(customer)s's exposure to "
            "%(exposure)s, above %(bound)s (allowance %(allowance)s, rule %(rule)s).",
            **values,
        )

    def _credit_guard_allowance_check(self, batch=None, pending=None):
        """(refusal, flag warnings) of the allowances for confirming this order."""
        self.ensure_one()
        refusal, flags = False, []
        for partner, amount, added in self._credit_guard_allowances(batch, pending):
            if partner.credit_guard_allowance_limited and self._credit_guard_over(
                added, partner.credit_guard_allowance
            ):
                refusal = refusal or self._credit_guard_allowance_message(partner, amount, added)
            elif partner.credit_guard_flag_allowance_limited and self._credit_guard_over(
                added, partner.credit_guard_flag_allowance
            ):
                flags.append(
                    self._credit_guard_allowance_message(partner, amount, added, flag=True)
                )
        return refusal, flags

    def _credit_guard_allowance_refusal(self):
        """Why the allowance refuses confirming this order alone, or False."""
        self.ensure_one()
        if self.credit_guard_override_date:
            return False
        return self._credit_guard_allowance_check()[0]

    @api.depends(
        "state",
        "amount_total",
        "currency_id",
        "company_id",
        "partner_id.commercial_partner_id.credit_guard_allowance",
        "partner_id.commercial_partner_id.credit_guard_allowance_limited",
        "partner_id.commercial_partner_id.credit_guard_flag_allowance",
        "partner_id.commercial_partner_id.credit_guard_flag_allowance_limited",
        "partner_id.commercial_partner_id.credit_guard_allowance_as_of",
        "partner_invoice_id.commercial_partner_id.credit_guard_allowance_as_of",
    )
    def _compute_credit_guard_allowance(self):
        for order in self:
            level, info = False, False
            if order.state in OPEN_STATES and order.partner_id:
                level, info = order._credit_guard_allowance_banner()
            order.credit_guard_allowance_level = level
            order.credit_guard_allowance_info = info

    def _credit_guard_allowance_banner(self):
        """(level, text) of the banner of a quotation: the allowance left, and whether
        the quotation's amount is above it."""
        self.ensure_one()
        partners = self._credit_guard_partners().sudo()
        lines, level = [], "within"
        unchecked = partners.filtered(lambda p: not p.credit_guard_allowance_as_of)
        for partner in unchecked:
            lines.append(
                _(
                    "%(customer)s: not checked by Credit Guard yet.",
                    customer=partner.display_name,
                )
            )
        if unchecked and len(unchecked) == len(partners):
            level = "unchecked"
        for partner, amount, added in self._credit_guard_allowances():
            since = added - amount
            name = f"{partner.display_name}: " if len(partners) > 1 else ""
            for prefix, label in (
                ("credit_guard_allowance", _("Allowance left")),
                ("credit_guard_flag_allowance", _("Flag allowance left")),
            ):
                if not partner[f"{prefix}_limited"]:
                    continue
                left = max(partner[prefix] - since, 0.0)
                lines.append(
                    _(
                        "%(name)s%(label)s %(left)s (%(rule)s)",
                        name=name,
                        label=label,
                        left=self._credit_guard_fmt(left),
                        rule=partner[f"{prefix}_rule"] or "",
                    )
                )
                if not self._credit_guard_over(added, partner[prefix]):
                    continue
                if prefix == "credit_guard_allowance":
                    level = "refuse"
                    lines.append(
                        _(
                            "This quotation's %(amount)s is above it: confirming it "
                            "will be refused.",
                            amount=self._credit_guard_fmt(amount),
                        )
                    )
                    break
                if level != "refuse":
                    level = "flag"
                lines.append(
                    _(
                        "This quotation's %(amount)s is above it: confirming it will "
                        "flag the customer.",
                        amount=self._credit_guard_fmt(amount),
                    )
                )
        return level, "\n".join(lines) or False

    @api.onchange("partner_id", "partner_invoice_id", "order_line")
    def _onchange_credit_guard_allowance(self):
        if self.state not in OPEN_STATES or not self.partner_id:
            return None
        level, info = self._credit_guard_allowance_banner()
        if level not in ("flag", "refuse"):
            return None
        title = (
            _("Above the customer's order allowance")
            if level == "refuse"
            else _("Above the customer's flag allowance")
        )
        return {"warning": {"title": title, "message": info}}

    # Refusal: action_confirm fails first with a readable error; write() and
    # create() refuse a confirmed state itself, so no other path (RPC with any
    # context, copies, imports, server actions, portal, payment) gets around it.

    def action_confirm(self):
        self._credit_guard_check_confirm()
        return super().action_confirm()

    @api.model_create_multi
    def create(self, vals_list):
        confirmed = self._credit_guard_confirmed_states()
        now = fields.Datetime.now()
        for vals in vals_list:
            self._credit_guard_check_protected_write(vals)
        # new dicts: the caller's are not changed (an import retries a refused record with the same ones)
        vals_list = [
            dict(vals, credit_guard_confirmed_at=now) if vals.get("state") in confirmed else vals
            for vals in vals_list
        ]
        orders = super().create(vals_list)
        confirmed_orders = orders.filtered(lambda o: o.state in confirmed)
        flags = confirmed_orders._credit_guard_check_confirm()
        self._credit_guard_post_flags(flags)
        if confirmed_orders:
            notify(
                self.env, "sale.order.confirm", "sale.order", confirmed_orders.ids,
                confirmed_orders.partner_id | confirmed_orders.partner_invoice_id,
            )
        return orders

    def write(self, vals):
        self._credit_guard_check_protected_write(vals)
        confirming, flags = self.browse(), []
        confirmed = self._credit_guard_confirmed_states()
        if vals.get("state") in confirmed:
            confirming = self.filtered(lambda o: o.state not in confirmed)
            flags = confirming._credit_guard_check_confirm()
        if confirming:
            stamped = dict(vals, credit_guard_confirmed_at=fields.Datetime.now())
            res = super(SaleOrder, confirming).write(stamped)
            if self - confirming:
                res = super(SaleOrder, self - confirming).write(vals) and res
        else:
            res = super().write(vals)
        self._credit_guard_post_flags(flags)
        if confirming:
            notify(
                self.env, "sale.order.confirm", "sale.order", confirming.ids,
                confirming.partner_id | confirming.partner_invoice_id,
            )
        if "partner_id" in vals or "partner_invoice_id" in vals:
            self.filtered(lambda o: o.state in confirmed)._credit_guard_check_held_change()
        return res

    def _credit_guard_check_held_change(self):
        """A confirmed order may not be moved onto a held customer, nor above one's allowance."""
        for order in self:
            if not order.credit_guard_override_date:
                order._credit_guard_check_confirm()

    def _credit_guard_check_confirm(self):
        """Raise if an order of ``self`` may not be confirmed (they count together);
        return the flag warnings [(order, text)] of those that may."""
        pending, flags = {}, []
        for order in self:
            partner = order._credit_guard_held_partner()
            if partner:
                raise UserError(
                    _(
                        "The order %(order)s cannot be confirmed: the customer "
                        "%(customer)s is on credit hold. Reason: %(reason)s\n"
                        "A user of the group 'Credit override' may confirm it "
                        "with the 'Override credit hold' button and a reason.",
                        order=order.name,
                        customer=partner.display_name,
                        reason=partner.credit_guard_hold_reason
                        or _("(none given)"),
                    )
                )
            if order.credit_guard_override_date:
                continue
            refusal, warnings = order._credit_guard_allowance_check(self, pending)
            if refusal:
                raise UserError(
                    refusal
                    + "\n"
                    + _(
                        "A user of the group 'Credit override' may confirm it "
                        "with the 'Override credit hold' button and a reason."
                    )
                )
            flags += [(order, text) for text in warnings]
            amount = order._credit_guard_amount()
            for partner in order._credit_guard_partners():
                pending[partner.id] = pending.get(partner.id, 0.0) + amount
        return flags

    def _credit_guard_post_flags(self, flags):
        for order, text in flags:
            order.message_post(body=Markup("<p>%s</p>") % text)

    def _credit_guard_check_protected_write(self, vals):
        if self.env.su:
            return
        if OVERRIDE_FIELDS.intersection(vals):
            raise AccessError(
                _(
                    "The credit override is recorded only by the override action."
                )
            )
        if "credit_guard_confirmed_at" in vals:
            raise AccessError(
                _("The confirmation time is recorded only by the confirmation.")
            )

    def action_draft(self):
        res = super().action_draft()
        self.sudo().write(
            dict.fromkeys(OVERRIDE_FIELDS | {"credit_guard_confirmed_at"}, False)
        )
        return res

    # Override.

    def action_credit_guard_override(self):
        """Open the wizard that confirms a held customer's order with a reason."""
        self._credit_guard_check_override_group()
        return {
            "type": "ir.actions.act_window",
            "name": _("Override credit hold"),
            "res_model": "credit.guard.override.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_order_ids": self.ids},
        }

    def _credit_guard_check_override_group(self):
        if not self.env.user.has_group(OVERRIDE_GROUP):
            raise AccessError(
                _(
                    "Only members of the group '%(group)s' may override a credit hold.",
                    group=self.env.ref(OVERRIDE_GROUP).name,
                )
            )

    def _credit_guard_confirm_with_override(self, reason):
        """Record the override and its reason in the chatter, then confirm."""
        self._credit_guard_check_override_group()
        if not (reason or "").strip():
            raise UserError(_("A credit override needs a reason."))
        for order in self:
            partner = order._credit_guard_held_partner()
            refusal = not partner and order._credit_guard_allowance_refusal()
            if not partner and not refusal:
                continue
            order.sudo().write(
                {
                    "credit_guard_override_reason": reason,
                    "credit_guard_override_user_id": self.env.uid,
                    "credit_guard_override_date": fields.Datetime.now(),
                }
            )
            if partner:
                title = _("Credit hold overridden")
                why = _(
                    "Customer %(customer)s is on credit hold: %(hold)s",
                    customer=partner.display_name,
                    hold=partner.credit_guard_hold_reason or "",
                )
            else:
                title, why = _("Credit allowance overridden"), refusal
            order.message_post(
                body=Markup("<p><b>%s</b></p><p>%s</p><p>%s</p>")
                % (title, why, _("Override reason: %(reason)s", reason=reason)),
                subtype_xmlid="credit_guard.mt_credit_guard_override",
            )
        return self.action_confirm()
