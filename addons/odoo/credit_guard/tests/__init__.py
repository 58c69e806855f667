from . import test_confirm_refusal
from . import test_override
from . import test_order_entry
from . import test_access
from . import test_payment
from . import test_portal
from . import test_allowance
from . import test_notify
