"""`creditguard insurer requests | covers | approve ID`: the credit manager's view of the insurer side."""
from __future__ import annotations

import datetime as dt
import getpass
import sys
from decimal import Decimal

from mappings.errors import BadInput
from rules.facts import compute_facts

from . import terminal
from .config import load_config
from .insurer.ledger import PENDING, Ledger
from .store import open_store
from .sync import build_snapshot

__all__ = ["add_commands", "write_cycle_insurer"]

STATUS_WORDS = {"awaiting_approval": "awaiting approval", "queued": "queued (goes out with the next cycle)",
                "open": "open at the insurer", "decided": "decided", "failed": "failed (see message)",
                "review": "answer needs review"}


def add_commands(sub, config_arg) -> None:
    p = sub.add_parser("insurer", help="cover requests, decisions and covers of the credit insurer")
    isub = p.add_subparsers(dest="insurer_command", required=True, metavar="ACTION")
    c = isub.add_parser("requests", help="cover requests (open first), their decisions and ages")
    config_arg(c)
    c.add_argument("--all", action="store_true", help="also the decided and failed ones (default: the last 20)")
    c.set_defaults(func=cmd_requests)
    c = isub.add_parser("covers", help="the insurer's cover per buyer against the exposure")
    config_arg(c)
    c.set_defaults(func=cmd_covers)
    c = isub.add_parser("approve", help="let a request that waits for approval go out with the next cycle")
    config_arg(c)
    c.add_argument("request_id", type=int, metavar="ID", help="the request's ID (see `insurer requests`)")
    c.set_defaults(func=cmd_approve)


def cmd_requests(args) -> int:
    config = load_config(args.config)
    now = dt.datetime.now(dt.timezone.utc)
    with open_store(config) as store:
        ledger = Ledger(store)
        requests = ledger.requests()
        review = ledger.decisions(review=True)
    pending = [r for r in requests if r["status"] in PENDING]
    done = [r for r in requests if r["status"] not in PENDING]
    shown = pending + (done if args.all else done[-20:])
    out = sys.stdout
    if not shown:
        out.write("No cover request yet.\n")
    for r in shown:
        out.write(f"#{r['id']} {terminal.clean(r['customer_id'])} {terminal.clean(r['customer_name'] or '')}: "
                  f"{Decimal(r['amount']):,.2f} {r['currency']}, {STATUS_WORDS.get(r['status'], r['status'])}, "
                  f"asked {_age(r['created_at'], now)} ago"
                  + (f", sent {_age(r['sent_at'], now)} ago" if r["sent_at"] else "")
                  + (f", decided {_age(r['decided_at'], now)} ago" if r["decided_at"] else "") + "\n")
        if r["message"]:
            out.write(f"    {terminal.clean(r['message'])}\n")
        if r["status"] == "awaiting_approval":
            out.write(f"    approve with: creditguard insurer approve --config {args.config} {r['id']}\n")
    for d in review:
        out.write(f"needs review: insurer decision {terminal.clean(d['decision_id'])} on buyer "
                  f"{terminal.clean(d['buyer_id'] or '?')} (code {terminal.clean(d['raw_status'] or '?')}), "
                  f"received {_age(d['recorded_at'], now)} ago; the raw answer is in the store\n")
    out.write(f"{terminal.count(len(pending), 'request')} waiting, {len(done):,} done\n")
    return 0


def cmd_covers(args) -> int:
    config = load_config(args.config)
    today = dt.date.today()
    with open_store(config) as store:
        ledger = Ledger(store)
        buyers = ledger.buyers()
        managed = sorted(ledger.managed_customers())
        covers = {c: ledger.cover_on(c, today) for c in managed}
        pending = ledger.pending_customers()
        records = {name: store.records(name) for name in ("company", "currencies", "customers", "invoices",
                                                          "orders")}
    exposure, names = {}, {}
    if records["company"]:
        snapshot = build_snapshot(records, as_of=today, policy_terms=config.policy_terms,
                                  country_risk=config.country_risk, source=str(config.store_path))
        for customer, facts in zip(snapshot.customers, compute_facts(snapshot, today)):
            exposure[customer.id], names[customer.id] = facts["exposure"], customer.name
    out = sys.stdout
    if not managed:
        out.write("No buyer known to the insurer yet (a customer gets its buyer id with its first request).\n")
    for customer_id in managed:
        cover, buyer = covers[customer_id], buyers.get(customer_id) or {}
        amount = cover.amount if cover and cover.status in ("approved", "partial") else Decimal(0)
        line = (f"{terminal.clean(customer_id)} {terminal.clean(names.get(customer_id, buyer.get('name') or ''))}"
                f" (buyer {buyer.get('buyer_id') or '?'}, grade {buyer.get('grade') or '-'}): ")
        line += f"{cover.status} {cover.amount:,.2f} {cover.currency}" if cover else "no cover"
        if cover and cover.valid_until:
            line += f" until {cover.valid_until}"
        if customer_id in exposure:
            uninsured = max(Decimal(0), exposure[customer_id] - amount)
            line += f"; exposure {exposure[customer_id]:,.2f}, uninsured {uninsured:,.2f}"
        if customer_id in pending:
            line += "; a request is waiting"
        out.write(line + "\n")
        if cover and cover.next_change:
            change = cover.next_change
            out.write(f"    from {change['effective_date']}: {change['status']} {Decimal(change['amount'] or 0):,.2f} "
                      f"{change['currency'] or ''} ({terminal.clean(change['reason'] or 'decided by the insurer')})\n")
    return 0


def cmd_approve(args) -> int:
    config = load_config(args.config)
    with open_store(config) as store:
        ledger = Ledger(store)
        request = ledger.request(args.request_id)
        if request is None:
            raise BadInput(f"no cover request #{args.request_id}", where=str(config.store_path),
                           hint=f"see `creditguard insurer requests --config {args.config}`")
        if request["status"] != "awaiting_approval":
            raise BadInput(f"cover request #{args.request_id} is {STATUS_WORDS.get(request['status'])}, not "
                           "awaiting approval", where=str(config.store_path))
        who = getpass.getuser()
        with store.transaction():
            ledger.update_request(request["key"], status="queued", approved_by=who)
            store.audit(request["customer_id"], f"cover request #{request['id']} approved", actor=who,
                        name=request["customer_name"])
    print(f"#{request['id']} {request['customer_name']}: {Decimal(request['amount']):,.2f} {request['currency']} "
          "approved; it goes to the insurer with the next cycle")
    return 0


def write_cycle_insurer(report, out) -> None:
    """The insurer lines of a cycle's report."""
    out.write(f"  insurer:   {len(report.sent):,} requests sent, {len(report.decisions):,} decisions received, "
              f"{len(report.queued):,} new requests" + (f", {len(report.grades):,} grade changes" if report.grades
                                                         else "") + "\n")
    for request_id, customer_id, name, amount, status in report.queued:
        what = "awaiting approval (creditguard insurer approve ID)" if status == "awaiting_approval" else "queued"
        out.write(f"    request #{request_id} for {terminal.clean(f'{customer_id} {name}')}: {amount:,.2f} {what}\n")
    for customer_id, name, amount, currency, status in report.sent:
        out.write(f"    sent for {terminal.clean(f'{customer_id} {name}')}: {amount:,.2f} {currency} -> "
                  f"{STATUS_WORDS.get(status, status)}\n")
    for customer_id, name, status, amount, currency, effective in report.decisions:
        out.write(f"    decision for {terminal.clean(f'{customer_id} {name}')}: {status} {amount:,.2f} {currency}"
                  + (f" from {effective.isoformat()}" if effective else "") + "\n")
    for customer_id, old, new in report.grades:
        out.write(f"    grade of {terminal.clean(customer_id)}: {old or '-'} -> {new or '-'}\n")
    for message in report.review:
        out.write(f"    for a person: {terminal.clean(message)}\n")
    if report.problem:
        out.write(f"    insurer problem (the cycle went on without it): {terminal.clean(report.problem)}\n")


def _age(iso, now) -> str:
    if not iso:
        return "?"
    seconds = max(0, (now - dt.datetime.fromisoformat(iso)).total_seconds())
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400 * 2:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"
