from . import res_partner
from . import sale_order
from . import payment_transaction
from . import account_move
from . import notify
