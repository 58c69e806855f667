"""The one exception tree of Credit Guard; the class says whether to retry.

    CreditGuardError
     ├── BadInput            exit code 2: the user must fix a file, a record or a setting
     │    ├── SnapshotError  a snapshot file or record is invalid
     │    ├── PolicyError    a policy file is invalid (carries every problem found)
     │    ├── MappingError   a mapping names a field or converter that does not exist
     │    ├── ConfigError    the config file or the ERP connection settings are wrong
     │    └── ErpRefused     the ERP refused a request (access, a UserError on a record)
     │         └── ErpWarning a warning the ERP asks to confirm first (Tryton UserWarning; `name`)
     └── TransientError      retry later: the ERP or a network peer is unreachable or busy
"""


class CreditGuardError(Exception):
    """Base of every error Credit Guard raises on purpose."""


class BadInput(CreditGuardError):
    """Input the user must correct; `where` names file, record and field."""

    def __init__(self, message, *, where=None, hint=None):
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(self.render())

    def render(self):
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class SnapshotError(BadInput):
    """A snapshot file, or a record in it, is not valid snapshot v1."""


class PolicyError(BadInput):
    """A policy file is invalid; `problems` lists every problem found."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class MappingError(BadInput):
    """A mapping names a field, model or converter that does not exist."""


class ConfigError(BadInput):
    """The config file or the connection settings are wrong."""


class ErpRefused(BadInput):
    """The ERP refused the request: wrong credentials, no access, or a UserError on a record."""


class TransientError(CreditGuardError):
    """The ERP or a peer is unreachable, down or busy: retry the cycle later."""


class ErpWarning(ErpRefused):
    """The ERP refused with a warning a privileged user may skip; `name` identifies it (Tryton UserWarning)."""

    def __init__(self, message, *, name, where=None, hint=None):
        self.name = name
        super().__init__(message, where=where, hint=hint)
