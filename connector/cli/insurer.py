"""`creditguard insurer requests | covers | declarations | deadlines | approve ID`: the credit manager's view of
the insurer side."""
from __future__ import annotations

import datetime as dt
import functools
import getpass
import json
import sys
from decimal import Decimal

from creditguard.mappings import clock
from creditguard.mappings.errors import BadInput
from creditguard.mappings.vocab import FilingStatus, RequestStatus
from creditguard.rules.facts import compute_facts

from creditguard.connector.cli.views import terminal
from creditguard.connector.cli.views.insurer import STATUS_WORDS
from creditguard.connector.config import load_config
from creditguard.connector.insurer.claims import CLAIM_OPEN, STATUS_WORDS as CLAIM_WORDS, ClaimDesk
from creditguard.connector.insurer.ledger import PENDING, Ledger
from creditguard.connector.insurer.overdues import (OPEN, STATUS_WORDS as DECLARATION_WORDS, OverdueDesk,
    declare_after_days, open_invoices, overdues)
from creditguard.connector.cycle.store import open_store
from creditguard.connector.cycle.sync import build_snapshot

__all__ = ["add_commands"]

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
    c = isub.add_parser("declarations", help="overdue declarations to the insurer, open first, with their invoices")
    config_arg(c)
    c.set_defaults(func=cmd_declarations)
    c = isub.add_parser("claims", help="claims on declared overdues: the claim file, what is missing, the "
                        "indemnity")
    config_arg(c)
    c.set_defaults(func=cmd_claims)
    c = isub.add_parser("deadlines", help="every open deadline of the insurance policy, soonest first")
    config_arg(c)
    c.add_argument("--as-of", type=dt.date.fromisoformat, metavar="DATE", help="count the days from this date "
                   "(default: today)")
    c.set_defaults(func=cmd_deadlines)
    c = isub.add_parser("approve", help="let a cover request (ID), an overdue declaration (D<n>) or a claim "
                        "(C<n>) that waits for approval go out with the next cycle")
    config_arg(c)
    c.add_argument("request_id", metavar="ID", help="the request's ID (see `insurer requests`) or the "
                   "declaration's D<n> (see `insurer declarations`)")
    c.set_defaults(func=cmd_approve)


def cmd_requests(args) -> int:
    config = load_config(args.config)
    now = clock.now()
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
        if r["status"] == RequestStatus.AWAITING_APPROVAL:
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


def cmd_declarations(args) -> int:
    config = load_config(args.config)
    with open_store(config) as store:
        desk = OverdueDesk(store)
        rows = [(d, desk.invoices(d["id"])) for d in desk.declarations()]
    rows.sort(key=lambda r: (r[0]["status"] not in OPEN, r[0]["id"]))
    out = sys.stdout
    if not rows:
        out.write("No overdue declaration yet.\n")
    for d, invoices in rows:
        total = sum(Decimal(i["amount"]) for i in invoices)
        out.write(f"D{d['id']} {terminal.clean(d['customer_id'])} {terminal.clean(d['customer_name'] or '')}: "
                  f"{d['kind']} of {terminal.count(len(invoices), 'invoice')} ({total:,.2f} {d['currency'] or ''}), "
                  f"{DECLARATION_WORDS.get(d['status'], d['status'])}, deadline {d['deadline']}"
                  + (f", filed {d['filed_at'][:10]}" if d["filed_at"] else "") + (" LATE" if d["late"] else "")
                  + (f", insurer id {terminal.clean(d['insurer_id'])}" if d["insurer_id"] else "") + "\n")
        for i in invoices:
            out.write(f"    {terminal.clean(i['number'] or i['invoice_id'])} due {i['due_date']}: "
                      f"{Decimal(i['amount']):,.2f} {i['currency'] or ''}" + ("" if i["sent"] else " (not sent yet)")
                      + "\n")
        if d["status"] == FilingStatus.AWAITING_APPROVAL:
            out.write(f"    approve with: creditguard insurer approve --config {args.config} D{d['id']}\n")
        if d["message"] and d["status"] in (FilingStatus.FAILED, FilingStatus.REVIEW):
            out.write(f"    {terminal.clean(d['message'])}\n")
    return 0


def cmd_deadlines(args) -> int:
    """Every open deadline: declarations to file (and invoices that will need one), soonest first."""
    config = load_config(args.config)
    today = args.as_of or dt.date.today()
    terms = config.policy_terms
    if terms is None:
        raise BadInput("the config has no [insurance] section: there are no policy deadlines to follow",
                       where=str(config.source), hint="add the policy terms under [insurance] (README)")
    with open_store(config) as store:
        desk = OverdueDesk(store)
        unfiled = [(d, desk.invoices(d["id"])) for d in desk.declarations(statuses=FilingStatus.unfiled())]
        covered = {d["customer_id"] for d in desk.declarations(statuses=OPEN)}
        claims = ClaimDesk(store).claims(statuses=FilingStatus.unfiled())
        claimed = {c["declaration_id"] for c in ClaimDesk(store).claims()}
        to_claim = [(d, desk.invoices(d["id"])) for d in desk.declarations(statuses=(FilingStatus.FILED,))
                    if d["id"] not in claimed]
        records = {name: store.records(name) for name in ("company", "currencies", "customers", "invoices",
                                                          "orders")}
    deadlines = []
    for d, invoices in unfiled:
        deadline = dt.date.fromisoformat(d["deadline"])
        what = f"declaration D{d['id']} ({d['kind']}, {terminal.count(len(invoices), 'invoice')}) " + \
            (f"awaiting approval: creditguard insurer approve D{d['id']}"
             if d["status"] == FilingStatus.AWAITING_APPROVAL else "queued: it goes out with the next cycle")
        deadlines.append((deadline, "declare by", d["customer_id"], d["customer_name"] or "", what))
    for c in claims:
        what = f"claim C{c['id']} on D{c['declaration_id']}, {Decimal(c['claimed']):,.2f} " + (
            "awaiting approval; documents missing: " + ", ".join(json.loads(c["missing"]))
            if c["status"] == FilingStatus.AWAITING_APPROVAL else "queued: it goes out with the next cycle")
        deadlines.append((dt.date.fromisoformat(c["claim_by"]), "claim by", c["customer_id"],
                          c["customer_name"] or "", what))
    if terms.claim_filing_days is not None:
        for d, invoices in to_claim:
            if not invoices:
                continue
            claim_from = min(dt.date.fromisoformat(i["due_date"]) for i in invoices) + \
                dt.timedelta(days=terms.max_extension_days)
            deadlines.append((claim_from + dt.timedelta(days=terms.claim_filing_days), "claim by", d["customer_id"],
                              d["customer_name"] or "", f"declaration D{d['id']}: a claim is due from "
                              f"{claim_from.isoformat()} if it is still unpaid then"))
    if records["company"]:
        snapshot = build_snapshot(records, as_of=today, policy_terms=terms, country_risk=config.country_risk,
                                  source=str(config.store_path))
        names = {c.id: c.name for c in snapshot.customers}
        threshold = declare_after_days(terms)
        coming = overdues(open_invoices(snapshot), terms.model_copy(update={"declare_after_days": 1}), today)
        for customer_id, rows in coming.items():
            if customer_id in covered or customer_id not in names:
                continue
            oldest = rows[0]
            deadline = oldest.due_date + dt.timedelta(days=terms.overdue_notification_days)
            files_on = oldest.due_date + dt.timedelta(days=threshold)
            what = (f"invoice {oldest.number or oldest.invoice_id} due {oldest.due_date.isoformat()}, "
                    f"{oldest.amount:,.2f} {oldest.currency} unpaid"
                    + (f"; Credit Guard declares it from {files_on.isoformat()}" if files_on > today else
                       "; to declare with the next cycle"))
            deadlines.append((deadline, "declare by", customer_id, names[customer_id], what))
    out = sys.stdout
    if not deadlines:
        out.write("No open deadline.\n")
    for deadline, kind, customer_id, name, what in sorted(deadlines, key=lambda d: (d[0], d[2])):
        left = (deadline - today).days
        when = f"{left} days left" if left >= 0 else f"{-left} days LATE"
        out.write(f"{kind} {deadline.isoformat()} ({when}): {terminal.clean(customer_id)} {terminal.clean(name)}: "
                  f"{terminal.clean(what)}\n")
    return 0


def cmd_approve(args) -> int:
    config = load_config(args.config)
    given = str(args.request_id)
    if given[:1].upper() == "D":
        return _approve_declaration(args, config)
    if given[:1].upper() == "C":
        return _approve_claim(args, config)
    if not given.lstrip("#").isdigit():
        raise BadInput(f"{given!r} is neither a request ID (a number) nor a declaration (D<n>) or claim (C<n>)",
                       where="creditguard insurer approve", hint="see `creditguard insurer requests`, "
                       "`creditguard insurer declarations` and `creditguard insurer claims`")
    with open_store(config) as store:
        ledger = Ledger(store)
        request = _awaiting(args, config, "#", given.lstrip("#"), "cover request", "requests", ledger.request,
                            STATUS_WORDS)
        _queue(store, request, functools.partial(ledger.update_request, request["key"], status=RequestStatus.QUEUED),
               f"cover request #{request['id']} approved")
    print(f"#{request['id']} {request['customer_name']}: {Decimal(request['amount']):,.2f} {request['currency']} "
          "approved; it goes to the insurer with the next cycle")
    return 0


def cmd_claims(args) -> int:
    config = load_config(args.config)
    with open_store(config) as store:
        claims = ClaimDesk(store).claims()
    out = sys.stdout
    if not claims:
        out.write("No claim yet.\n")
    for c in sorted(claims, key=lambda c: (c["status"] not in CLAIM_OPEN, c["id"])):
        claim_file = json.loads(c["file"])
        out.write(f"C{c['id']} {terminal.clean(c['customer_id'])} {terminal.clean(c['customer_name'] or '')} "
                  f"(declaration D{c['declaration_id']}): {Decimal(c['claimed']):,.2f} {c['currency'] or ''} claimed, "
                  f"{Decimal(c['expected']):,.2f} expected ({claim_file['insured_percent']} % above the deductible "
                  f"{Decimal(claim_file['deductible']):,.2f}, nothing at or below "
                  f"{Decimal(claim_file['claim_threshold']):,.2f})"
                  f", {CLAIM_WORDS.get(c['status'], c['status'])}, file by {c['claim_by']}"
                  + (f", indemnity {Decimal(c['indemnity']):,.2f}" if c["indemnity"] else "")
                  + (f", recovered since {Decimal(c['recovered']):,.2f}" if c["recovered"] else "") + "\n")
        for i in claim_file["invoices"]:
            out.write(f"    invoice {terminal.clean(i['number'])} due {i['due_date']}: "
                      f"{Decimal(i['unpaid']):,.2f} unpaid\n")
        out.write(f"    statement of account: {terminal.count(len(claim_file['statement_of_account']), 'open item')}\n")
        for kind in ("orders", "deliveries"):
            if claim_file.get(kind):
                out.write(f"    {kind}: {terminal.clean(', '.join(claim_file[kind]))}\n")
        missing = json.loads(c["missing"])
        if missing and c["status"] in FilingStatus.unfiled():
            out.write(f"    documents missing: {', '.join(missing)} (not in the ERP for every claimed invoice)\n")
        if c["status"] == FilingStatus.AWAITING_APPROVAL:
            out.write(f"    once you have them: creditguard insurer approve --config {args.config} C{c['id']}\n")
    return 0


def _awaiting(args, config, mark, number, what, listing, find, words) -> dict:
    """The request (#7), declaration (D3) or claim (C2) of that `number` (text), checked to be awaiting approval;
    BadInput saying what to do otherwise."""
    if not number.isdigit():
        raise BadInput(f"{args.request_id!r} is not {what} ({mark} and its number, e.g. {mark}3)",
                       where="creditguard insurer approve", hint=f"see `creditguard insurer {listing}`")
    row = find(int(number))
    if row is None:
        raise BadInput(f"no {what} {mark}{number}", where=str(config.store_path),
                       hint=f"see `creditguard insurer {listing} --config {args.config}`")
    if row["status"] != FilingStatus.AWAITING_APPROVAL:         # a request's word as well (RequestStatus)
        raise BadInput(f"{what} {mark}{number} is {words.get(row['status'], row['status'])}, not awaiting "
                       "approval", where=str(config.store_path))
    return row


def _queue(store, row, mark_queued, event) -> None:
    """An approved request, declaration or claim: queued for the next cycle (`mark_queued`), and who approved it
    in the audit, in one transaction."""
    who = getpass.getuser()
    with store.transaction():
        mark_queued(approved_by=who)
        store.audit(row["customer_id"], event, actor=who, name=row["customer_name"])


def _approve_claim(args, config) -> int:
    with open_store(config) as store:
        desk = ClaimDesk(store)
        claim = _awaiting(args, config, "C", str(args.request_id)[1:], "claim", "claims", desk.claim, CLAIM_WORDS)
        missing = json.loads(claim["missing"])
        event = f"claim C{claim['id']} approved" + (f" with documents missing: {', '.join(missing)}" if missing else "")
        _queue(store, claim, functools.partial(desk.update, claim["id"], status=FilingStatus.QUEUED), event)
    print(f"C{claim['id']} {claim['customer_name']}: claim of {Decimal(claim['claimed']):,.2f} approved"
          + (f" (missing: {', '.join(missing)})" if missing else "") + "; it goes to the insurer with the next cycle "
          f"(file by {claim['claim_by']})")
    return 0


def _approve_declaration(args, config) -> int:
    with open_store(config) as store:
        desk = OverdueDesk(store)
        declaration = _awaiting(args, config, "D", str(args.request_id)[1:], "overdue declaration", "declarations",
                                desk.declaration, DECLARATION_WORDS)
        _queue(store, declaration, functools.partial(desk.update, declaration["id"], status=FilingStatus.QUEUED),
               f"overdue declaration D{declaration['id']} approved")
    print(f"D{declaration['id']} {declaration['customer_name']}: {declaration['kind']} declaration approved; it goes "
          f"to the insurer with the next cycle (deadline {declaration['deadline']})")
    return 0


def _age(iso, now) -> str:
    if not iso:
        return "?"
    seconds = max(0, (now - dt.datetime.fromisoformat(iso)).total_seconds())
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400 * 2:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} days"
