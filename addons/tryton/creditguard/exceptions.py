# This file is part of Credit Guard.  Licensed under the LGPL-3.0-or-later.
from trytond.exceptions import UserError, UserWarning
from trytond.modules.account_credit_limit.exceptions import (
    CreditLimitError, CreditLimitWarning)


class CreditHoldError(CreditLimitError):
    pass


class CreditHoldWarning(CreditLimitWarning):
    pass


class CreditFlagWarning(UserWarning):
    pass


class CreditAllowanceError(CreditLimitError):
    pass


class CreditAllowanceWarning(CreditLimitWarning):
    pass


class CreditFlagAllowanceWarning(UserWarning):
    pass


class CreditHoldOriginError(UserError):
    pass
