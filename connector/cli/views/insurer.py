"""The insurer's part of what a cycle did, and the words for a cover request's status."""
from __future__ import annotations

from creditguard.mappings.vocab import RequestStatus

from creditguard.connector.cli.views import terminal

__all__ = ["STATUS_WORDS", "write_cycle_insurer"]

STATUS_WORDS = {RequestStatus.AWAITING_APPROVAL: "awaiting approval",
                RequestStatus.QUEUED: "queued (goes out with the next cycle)",
                RequestStatus.OPEN: "open at the insurer",
                RequestStatus.DECIDED: "decided", RequestStatus.FAILED: "failed (see message)",
                RequestStatus.REVIEW: "answer needs review"}


def write_cycle_insurer(report, out) -> None:
    """The insurer lines of a cycle's report."""
    unread = getattr(report, "unread", [])
    out.write(f"  insurer:   {len(report.sent):,} requests sent"
              + (f" ({len(unread):,} of them without a readable answer)" if unread else "")
              + f", {len(report.decisions):,} decisions received, {len(report.queued):,} new requests"
              + (f", {len(report.grades):,} grade changes" if report.grades else "")
              + (f", {len(report.polled):,} open requests polled" if getattr(report, "polled", None) else "") + "\n")
    for message in unread:
        out.write(f"    could not be read: {terminal.clean(message)}\n")
    for request_id, customer_id, name, amount, status in report.queued:
        what = ("awaiting approval (creditguard insurer approve ID)" if status == RequestStatus.AWAITING_APPROVAL
                else "queued")
        out.write(f"    request #{request_id} for {terminal.clean(f'{customer_id} {name}')}: {amount:,.2f} {what}\n")
    for customer_id, name, amount, currency, status in report.sent:
        out.write(f"    sent for {terminal.clean(f'{customer_id} {name}')}: {amount:,.2f} {currency} -> "
                  f"{STATUS_WORDS.get(status, status)}\n")
    for customer_id, name, status, amount, currency, effective in report.decisions:
        out.write(f"    decision for {terminal.clean(f'{customer_id} {name}')}: {status} {amount:,.2f} {currency}"
                  + (f" from {effective.isoformat()}" if effective else "") + "\n")
    for customer_id, old, new in report.grades:
        out.write(f"    grade of {terminal.clean(customer_id)}: {old or '-'} -> {new or '-'}\n")
    for declaration_id, customer_id, name, what in report.declarations:
        out.write(f"    declaration D{declaration_id} for {terminal.clean(f'{customer_id} {name}')}: "
                  f"{terminal.clean(what)}\n")
    for claim_id, customer_id, name, what in getattr(report, "claims", []):
        out.write(f"    claim C{claim_id} for {terminal.clean(f'{customer_id} {name}')}: {terminal.clean(what)}\n")
    for message in report.review:
        out.write(f"    for a person: {terminal.clean(message)}\n")
    if report.problem:
        out.write(f"    insurer problem (the cycle went on without it): {terminal.clean(report.problem)}\n")
