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

Also the one home of the wording shared by every loader: `did_you_mean` (a suggestion for a misspelt
name) and `first_problem` (pydantic's first validation error as location, message and value).
"""
from __future__ import annotations

import difflib
from typing import NamedTuple


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


def did_you_mean(name, known) -> str | None:
    """'did you mean 'x'?' for the closest of `known` to a misspelt `name`, or None."""
    close = difflib.get_close_matches(str(name), sorted(map(str, known)), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


class Problem(NamedTuple):
    """One validation error, as every loader words it."""
    loc: tuple          # where in the document, e.g. ("customers", 3, "credit_limit")
    message: str        # pydantic's message, e.g. "Input should be a valid decimal"
    value: object       # the value that was given (None when missing)
    kind: str           # pydantic's error type, e.g. "missing", "extra_forbidden", "json_invalid"
    count: int          # how many errors the validation found in all

    @property
    def path(self) -> str:
        return ".".join(map(str, self.loc))

    @property
    def more(self) -> str:
        """' (and N more problems)' when there were others."""
        n = self.count - 1
        return f" (and {n} more problem{'s' if n > 1 else ''})" if n > 0 else ""


def validation_problems(exc) -> list[Problem]:
    """Every error of a pydantic ValidationError, first first."""
    errors = exc.errors(include_url=False)
    return [Problem(tuple(e["loc"]), e["msg"], e.get("input"), e["type"], len(errors)) for e in errors]


def first_problem(exc) -> Problem:
    """The first error of a pydantic ValidationError."""
    return validation_problems(exc)[0]
