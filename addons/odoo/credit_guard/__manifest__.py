# Copyright 2026 Credit Guard contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
{
    "name": "Credit Guard",
    "summary": "Credit holds that no path can bypass, flags at order entry, "
    "an audited override, written by the Credit Guard rules engine",
    "version": "18.0.1.3.0",
    "category": "Sales/Sales",
    "author": "Credit Guard contributors",
    "license": "LGPL-3",
    "depends": ["sale_management", "account", "mail"],
    "data": [
        "security/credit_guard_security.xml",
        "security/ir.model.access.csv",
        "data/mail_message_subtype_data.xml",
        "wizards/credit_guard_override_wizard_views.xml",
        "wizards/credit_guard_manual_hold_wizard_views.xml",
        "views/res_partner_views.xml",
        "views/sale_order_views.xml",
        "views/credit_guard_menus.xml",
    ],
}
