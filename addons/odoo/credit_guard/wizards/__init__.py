from . import credit_guard_override_wizard
from . import credit_guard_manual_hold_wizard
from . import base_partner_merge
