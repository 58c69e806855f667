"""The insurer step of a cycle: requests out, decisions in, covers into the facts and the ERP.

Inside `connector/cycle/run.py`, when the config has `[insurer]`:

    before evaluation   read the insurer's decisions since the last one seen (its own reductions, cancellations
                        and expiries too) and the grades of known buyers; send the requests still queued;
                        lay the covers in force on the cycle's date over the customers read from the ERP
    evaluation          the policy sees the insurer's cover, `cover_request_pending` and `buyer_grade`
    after evaluation    each `request_limit` decision becomes one request (keyed by the decision: never sent
                        twice), sent at once (approval = "auto") or left for `creditguard insurer approve ID`
                        overdue declarations opened, joined, cancelled (connector/insurer/overdues.py) and
                        filed, added to or closed at the insurer
    writes              SET_COVER where the ERP's cover fields differ from the insurer's cover (and REQUEST_COVER
                        only adds its note: the pending flag is the request's, below); NOTIFY once per
                        declaration deadline within the policy's warning days that is not met yet

One source of truth each: the cover of a customer the insurer step speaks for (one with a buyer id, a request
or a decision in the store) is the insurer's decision in force on the cycle's date; `cover_request_pending` is
"a request of the store is waiting" (queued, awaiting approval, open, or its answer under review). The ERP's cover
fields and request-pending flag mirror both (SET_COVER); for other customers they stay as the ERP has them.

The insurer being down, busy or refusing the API key never fails the cycle: the step stops talking to it, says so
in the report, and queued requests go out with a later cycle under the same idempotency key. A crash after a
request was sent and before its answer was recorded replays it the same way; the insurer answers from its record.

Fault injection (tests, drills): CREDITGUARD_FAULT_CRASH_AFTER_INSURER_SEND=N kills the process (os._exit) right
after the N-th filing of a cycle (cover request or overdue declaration) was answered, before the answer is
recorded.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass, field
from decimal import Decimal

from creditguard.mappings import clock
from creditguard.mappings.errors import BadInput, TransientError
from creditguard.mappings.money import round_cent
from creditguard.mappings.vocab import Action, FilingStatus, Operation, RequestStatus, write_key

from creditguard.connector.erp.operations import Write
from creditguard.connector.insurer.allianz import AllianzTradeClient
from creditguard.connector.insurer.errors import InsurerRefused, RequestAlreadyOpen
from creditguard.connector.insurer.ledger import Ledger
from creditguard.connector.insurer.claims import ClaimDesk
from creditguard.connector.insurer.overdues import OverdueDesk, invoice_payload, open_invoices, raw_text
from creditguard.connector.insurer.transport import RetryPolicy

__all__ = ["InsurerStep", "InsurerReport", "make_client", "FAULT_ENV", "CRASH_EXIT"]

log = logging.getLogger(__name__)
FAULT_ENV = "CREDITGUARD_FAULT_CRASH_AFTER_INSURER_SEND"
POLL_LIMIT = 20                 # stale open requests polled by job per cycle
CRASH_EXIT = 86
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


def make_client(config) -> AllianzTradeClient:
    """The client of `[insurer]` (config.InsurerConfig); a missing API key is a ConfigError naming the key."""
    return AllianzTradeClient(config.url, config.policy_id, config.api_key,
                              business_unit_code=config.business_unit_code, timeout=config.timeout,
                              retry=RetryPolicy(attempts=3, total_seconds=30, max_retry_after=30))


@dataclass(kw_only=True)
class InsurerReport:
    """What the insurer step did in one cycle."""
    sent: list = field(default_factory=list)          # (customer id, name, amount, currency, state)
    queued: list = field(default_factory=list)        # (request id, customer id, name, amount, status) new this cycle
    decisions: list = field(default_factory=list)     # (customer id, name, status, amount, currency, effective)
    grades: list = field(default_factory=list)        # (customer id, old grade, new grade)
    review: list = field(default_factory=list)        # messages for a person
    declarations: list = field(default_factory=list)  # (D id, customer id, name, what happened) this cycle
    claims: list = field(default_factory=list)        # (C id, customer id, name, what happened) this cycle
    unread: list = field(default_factory=list)        # filings that went in but whose answer could not be read
    polled: list = field(default_factory=list)        # (customer id, request id, state) of requests polled
    problem: str | None = None                        # the insurer could not be reached or refused us

    def summary(self) -> dict:
        return {"sent": len(self.sent), "queued": len(self.queued), "decisions": len(self.decisions),
                "grades": len(self.grades), "review": len(self.review), "declarations": len(self.declarations),
                "unread": len(self.unread), "polled": len(self.polled), "claims": len(self.claims),
                "problem": self.problem}


class InsurerStep:
    """The insurer's part of one cycle over `store`, as of `as_of`; `client` defaults to the configured one."""

    def __init__(self, config, store, *, as_of: dt.date, client=None, dry_run=False, talk=True, terms=None,
                 documents=None):
        self.config = config
        self.store = store
        self.ledger = Ledger(store)
        self.desk = OverdueDesk(store)
        self.claims = ClaimDesk(store)
        self.terms = terms                # the policy terms ([insurance]); None: no overdue declarations
        self.documents = documents        # ErpReader.documents: the orders and deliveries of claimed invoices
        self.as_of = as_of
        self.client = client if client is not None else make_client(config)
        self.dry_run = dry_run
        self.talk = talk                  # False: the insurer is not called (the service's quick re-check)
        self.actor = f"insurer policy {config.policy_id} at {config.url}"
        self.report = InsurerReport()
        self.erp_covers: dict = {}
        self.customers: dict = {}
        self.currency = None
        self._sent = 0

    # -- before evaluation ------------------------------------------------------------------------

    def before_evaluation(self, records) -> dict:
        """Receive, send what is queued, and return `records` with the insurer's covers and grades laid over
        the customers (new dicts: the records read from the ERP are left as they are)."""
        self.customers = {c["id"]: c for c in records.get("customers", [])}
        self.erp_covers = {cid: c.get("insurer_cover") for cid, c in self.customers.items()}
        companies = records.get("company") or [{}]
        self.currency = companies[0].get("currency")
        if not self.dry_run and self.talk:
            self._talk(self._receive)
            self._talk(self._send_queued)
        return self.overlay(records)

    def overlay(self, records) -> dict:
        """`records` with the insurer's covers, grades and open declarations laid over the customers."""
        managed, buyers, pending = (self.ledger.managed_customers(), self.ledger.buyers(),
                                    self.ledger.pending_customers())
        declared, claimed = self.desk.declared_customers(), self.claims.open_customers()
        customers = []
        for c in records.get("customers", []):
            if c["id"] in managed:
                c = dict(c, insurer_cover=self.desired_cover(c["id"], pending),
                         buyer_grade=(buyers.get(c["id"]) or {}).get("grade"))
            if c["id"] in declared or c["id"] in claimed:
                c = dict(c, declared_overdue=c["id"] in declared, claim_open=c["id"] in claimed)
            customers.append(c)
        return dict(records, customers=customers)

    def _talk(self, work) -> None:
        """Run one exchange with the insurer unless it already failed this cycle; a failure is reported."""
        if self.report.problem:
            return
        try:
            work()
        except TransientError as exc:
            self.report.problem = f"the insurer is unreachable or busy; requests stay queued: {exc}"
            log.warning("insurer: %s", exc)
        except BadInput as exc:
            self.report.problem = f"the insurer refused us: {exc.render()}"
            log.error("insurer: %s", exc.render())

    def _receive(self) -> None:
        since = self.ledger.feed_since()
        decisions = self.client.decisions_since(dt.datetime.fromisoformat(since) if since else EPOCH)
        with self.store.transaction():
            fresh = [decision for decision in decisions if self._record_decision(decision)]
            latest = max((d.decided_at for d in decisions if d.decided_at), default=None)
            if latest:
                self.ledger.set_feed_since(latest.isoformat())
        self._poll_stale()
        self._fetch_grades({d.buyer_id for d in fresh if d.buyer_id})

    def _poll_stale(self) -> None:
        """Open requests the feed has not decided within `poll_after_hours` are asked for by job (at most
        POLL_LIMIT a cycle); polled again no sooner than that."""
        cutoff = (clock.now() - dt.timedelta(hours=self.config.poll_after_hours)).isoformat()
        stale = [r for r in self.ledger.requests(statuses=(RequestStatus.OPEN,)) if r["request_id"]
                 and not r["request_id"].startswith("unknown:") and (r["updated_at"] or "") <= cutoff]
        for request in stale[:POLL_LIMIT]:
            answer = self.client.request_state(request["request_id"])
            with self.store.transaction():
                if answer.decision is not None:
                    self._record_decision(answer.decision)
                elif answer.state in ("withdrawn", "failed"):
                    self.ledger.update_request(request["key"], status=RequestStatus.FAILED,
                                               message=f"the insurer says {answer.state}")
                elif answer.needs_review:
                    self.ledger.update_request(request["key"], status=RequestStatus.REVIEW, raw=_json(answer.raw),
                                               message=f"state {answer.raw_state!r} could not be read")
                else:
                    self.ledger.update_request(request["key"], message="still open at the insurer (polled)")
            self.report.polled.append((request["customer_id"], request["request_id"], answer.state))

    def _fetch_grades(self, alerted) -> None:
        """The grades of buyers not fetched within `grades_every_hours`, or with a decision just received; the
        oldest first, at most `grades_per_cycle` calls."""
        cutoff = (clock.now() - dt.timedelta(hours=self.config.grades_every_hours)).isoformat()
        due = sorted(((buyer.get("grade_checked_at") or "", customer_id, buyer)
                      for customer_id, buyer in self.ledger.buyers().items()
                      if buyer["buyer_id"] in alerted or (buyer.get("grade_checked_at") or "") <= cutoff),
                     key=lambda b: (b[2]["buyer_id"] not in alerted, b[0], b[1]))
        for _checked, customer_id, buyer in due[:int(self.config.grades_per_cycle)]:
            grade = self.client.buyer_grade(buyer["buyer_id"])
            with self.store.transaction():
                self.ledger.grade_checked(customer_id)
            value = grade.grade if grade else None
            if value != buyer["grade"]:
                with self.store.transaction():
                    self.ledger.set_grade(customer_id, value, grade and grade.raw_grade,
                                          grade and grade.as_of and grade.as_of.isoformat())
                    self.store.audit(customer_id, f"insurer grade {_text(buyer['grade'])} -> {_text(value)}",
                                     name=buyer["name"], actor=self.actor)
                self.report.grades.append((customer_id, buyer["grade"], value))
            if grade is not None and grade.needs_review:
                self.report.review.append(f"buyer {buyer['buyer_id']} (customer {customer_id}): grade "
                                          f"{grade.raw_grade!r} is not 1..10, kept raw")

    def _record_decision(self, decision) -> bool:
        """One decision of the insurer, recorded once (True: new); its request, if ours, is decided. Call in a
        transaction."""
        request = self.ledger.request_by_insurer_id(decision.request_id) if decision.request_id else None
        customer_id = request["customer_id"] if request else \
            self.ledger.customer_of(decision.buyer_id) if decision.buyer_id else None
        if request and request["status"] in (RequestStatus.OPEN, RequestStatus.REVIEW, RequestStatus.QUEUED):
            self.ledger.update_request(request["key"], status=RequestStatus.REVIEW if decision.needs_review
                                       else RequestStatus.DECIDED,
                                       decided_at=decision.decided_at and decision.decided_at.isoformat(),
                                       message=_decision_text(decision))
        if not self.ledger.add_decision(decision, customer_id):
            return False
        name = (self.customers.get(customer_id) or {}).get("name") if customer_id else None
        if decision.needs_review or customer_id is None:
            why = f"unknown code {decision.raw_status!r}" if decision.status == "unknown" else \
                "no customer has this buyer id" if customer_id is None else "no amount, buyer or currency"
            self.report.review.append(f"insurer decision {decision.decision_id} on buyer {decision.buyer_id}: "
                                      f"{why}; kept raw, no cover changed")
            if customer_id:
                self.store.audit(customer_id, f"insurer answer needs review ({why})", name=name,
                                 reason=decision.reason, actor=self.actor)
            return True
        self.store.audit(customer_id, f"insurer cover {_decision_text(decision)}", name=name,
                         reason=decision.reason, actor=self.actor)
        if (decision.raw_status or "").strip().casefold() == "insolvency":
            since = (decision.effective_date or self.as_of).isoformat()
            self.ledger.set_insolvent(customer_id, since)
            self.store.audit(customer_id, f"the insurer reports the buyer insolvent from {since}: its unpaid "
                             "invoices are declared and claimed at once", name=name, actor=self.actor)
        self.report.decisions.append((customer_id, name or "", decision.status, decision.amount,
                                      decision.currency, decision.effective_date))
        return True

    # -- requests ---------------------------------------------------------------------------------

    def after_evaluation(self, results, snapshot=None) -> None:
        """A request per `request_limit` decision, sent at once unless a person approves requests; then the
        overdue declarations and claims of `snapshot` (the cycle evaluates again the customers whose `overlay`
        this changed)."""
        status = RequestStatus.AWAITING_APPROVAL if self.config.manual else RequestStatus.QUEUED
        if self.dry_run:
            return
        with self.store.transaction():
            for result in results:
                for decision in result.decisions:
                    if decision.action != Action.REQUEST_LIMIT:
                        continue
                    if self.ledger.add_request(f"creditguard/{decision.key}", result.customer_id, result.name,
                                               decision.amount, self.currency, status):
                        row = self.ledger.request_by_key(f"creditguard/{decision.key}")
                        self.store.audit(result.customer_id, f"cover request of {decision.amount:,.2f} "
                                         f"{self.currency} " + ("awaiting approval" if self.config.manual
                                                                 else "queued"), name=result.name,
                                         rules=decision.rule, reason=decision.message, actor="credit guard")
                        self.report.queued.append((row["id"], result.customer_id, result.name, decision.amount,
                                                   status))
        self._talk(self._send_queued)
        if snapshot is not None and self.terms is not None:
            self._declare(snapshot)

    # -- overdue declarations ---------------------------------------------------------------------

    def _declare(self, snapshot) -> None:
        open_items = open_invoices(snapshot)
        with self.store.transaction():
            changed = self.desk.plan(snapshot, open_items, self.terms, self.as_of, manual=self.config.declarations_manual,
                                     extensions=self.config.extensions, audit=self._audit,
                                     insolvent=set(self.ledger.insolvent()))
        for row in changed["opened"]:
            waits = "awaiting approval" if row["status"] == FilingStatus.AWAITING_APPROVAL else FilingStatus.QUEUED
            self.report.declarations.append((row["id"], row["customer_id"], row["customer_name"],
                                             f"{row['kind']} opened, {waits}, to file by {row['deadline']}"))
        for row, joined in changed["joined"]:
            self.report.declarations.append((row["id"], row["customer_id"], row["customer_name"],
                                             f"{len(joined)} further invoice(s) joined"))
        for row in changed["cancelled"]:
            self.report.declarations.append((row["id"], row["customer_id"], row["customer_name"],
                                             "cancelled: paid before filing"))
        if self.talk:
            self._talk(lambda: self._send_declarations(open_items))
        with self.store.transaction():
            prepared = self.claims.plan(snapshot, open_items, self.terms, self.as_of, self.desk, audit=self._audit,
                                        insolvent=self.ledger.insolvent(), documents=self.documents,
                                        manual=self.config.declarations_manual)
            for claim, recovered in self.claims.recoveries(open_items, audit=self._audit):
                self.report.claims.append((claim["id"], claim["customer_id"], claim["customer_name"],
                                           f"recovery recorded: {recovered:,.2f} paid by the buyer after the "
                                           "indemnity"))
        for claim in prepared:
            missing = json.loads(claim["missing"])
            waits = (f"documents missing ({', '.join(missing)}), " if missing else "") + \
                (f"awaiting approval (creditguard insurer approve C{claim['id']})"
                 if claim["status"] == FilingStatus.AWAITING_APPROVAL else FilingStatus.QUEUED)
            self.report.claims.append((claim["id"], claim["customer_id"], claim["customer_name"],
                                       f"prepared: {Decimal(claim['claimed']):,.2f} claimed, "
                                       f"{Decimal(claim['expected']):,.2f} expected, to file by {claim['claim_by']}; "
                                       + waits))
        if self.talk:
            self._talk(self._send_claims)

    def _send_claims(self) -> None:
        for claim in self.claims.claims(statuses=(FilingStatus.QUEUED,)):
            declaration = self.desk.declaration(claim["declaration_id"])
            buyer_id = self.ledger.buyer_id(claim["customer_id"]) or declaration["buyer_id"]
            claim_file = json.loads(claim["file"])
            with self.store.transaction():
                self.claims.update(claim["id"], attempts=claim["attempts"] + 1)
            invoices = [{"invoiceNumber": i["number"], "invoiceId": i["invoice_id"], "dueDate": i["due_date"],
                         "amount": i["unpaid"], "currencyCode": i["currency"]} for i in claim_file["invoices"]]
            documents = [kind for kind, where in claim_file["documents"].items() if where != "missing"]
            try:
                answer = self.client.file_claim(buyer_id, declaration["insurer_id"], invoices, claim["claimed"],
                                                claim["currency"], documents, claim["key"])
            except InsurerRefused as exc:
                with self.store.transaction():
                    self.claims.update(claim["id"], status=FilingStatus.FAILED, message=exc.render())
                self.report.review.append(f"customer {claim['customer_id']}: the insurer refused claim "
                                          f"C{claim['id']}: {exc}")
                continue
            self._count_send()
            status = FilingStatus.REVIEW if answer.needs_review else FilingStatus.FILED
            with self.store.transaction():
                self.claims.update(claim["id"], status=status, insurer_id=answer.id, filed_at=clock.iso(),
                                   waiting_until=answer.waiting_until and answer.waiting_until.isoformat(),
                                   raw=raw_text(answer.raw), message=answer.raw_state or "")
                self._audit(claim["customer_id"], f"claim C{claim['id']} filed ({answer.raw_state or '?'})",
                            claim["customer_name"])
            self.report.claims.append((claim["id"], claim["customer_id"], claim["customer_name"],
                                       f"filed ({answer.raw_state or '?'})" + (
                                           f", waiting period to {answer.waiting_until.isoformat()}"
                                           if answer.waiting_until else "")))
        for claim in self.claims.claims(statuses=(FilingStatus.FILED,)):
            answer = self.client.claim_state(claim["insurer_id"])
            if answer.state in ("paid", "rejected"):
                with self.store.transaction():
                    self.claims.update(claim["id"], status=answer.state, raw=raw_text(answer.raw),
                                       indemnity=None if answer.indemnity is None
                                       else str(round_cent(answer.indemnity)))
                    self._audit(claim["customer_id"], f"claim C{claim['id']} {answer.state}"
                                + (f": indemnity {answer.indemnity:,.2f}" if answer.indemnity is not None else ""),
                                claim["customer_name"])
                self.report.claims.append((claim["id"], claim["customer_id"], claim["customer_name"],
                                           f"{answer.state}" + (f": indemnity {answer.indemnity:,.2f} "
                                                                f"{claim['currency'] or ''}"
                                                                if answer.indemnity is not None else "")))
            elif answer.needs_review:
                with self.store.transaction():
                    self.claims.update(claim["id"], status=FilingStatus.REVIEW, raw=raw_text(answer.raw))
                self.report.review.append(f"customer {claim['customer_id']}: the insurer's answer on claim "
                                          f"C{claim['id']} could not be read (state {answer.raw_state!r}); kept raw")

    def _audit(self, customer_id, event, name) -> None:
        self.store.audit(customer_id, event, name=name, actor="credit guard")

    def _send_declarations(self, unpaid) -> None:
        for declaration in self.desk.declarations(statuses=(FilingStatus.QUEUED,)):
            self._file(declaration)
        for declaration in self.desk.declarations(statuses=(FilingStatus.FILED,)):
            rows = self.desk.invoices(declaration["id"])
            if not any(r["invoice_id"] in unpaid for r in rows):
                answer = self.client.close_overdue(declaration["insurer_id"], f"{declaration['key']}/close")
                with self.store.transaction():
                    closed = FilingStatus.CLOSED if answer.state == "closed" else FilingStatus.REVIEW
                    self.desk.update(declaration["id"], status=closed,
                                     raw=raw_text(answer.raw), message="paid; closed at the insurer")
                    self._audit(declaration["customer_id"], f"overdue declaration D{declaration['id']} closed "
                                "(paid)", declaration["customer_name"])
                self.report.declarations.append((declaration["id"], declaration["customer_id"],
                                                 declaration["customer_name"], "closed at the insurer (paid)"))
                continue
            unsent = [r for r in rows if not r["sent"]]
            if unsent:
                key = f"{declaration['key']}/add/" + ",".join(r["invoice_id"] for r in unsent)
                answer = self.client.add_to_overdue(declaration["insurer_id"], invoice_payload(unsent), key)
                with self.store.transaction():
                    for r in unsent:
                        self.store.db.execute("UPDATE insurer_overdue_invoices SET sent=1 WHERE declaration_id=? "
                                              "AND invoice_id=?", (declaration["id"], r["invoice_id"]))
                    self.desk.update(declaration["id"], raw=raw_text(answer.raw),
                                     **({"status": FilingStatus.REVIEW} if answer.needs_review else {}))
                self.report.declarations.append((declaration["id"], declaration["customer_id"],
                                                 declaration["customer_name"],
                                                 f"{len(unsent)} further invoice(s) added at the insurer"))

    def _file(self, declaration) -> None:
        customer = self.customers.get(declaration["customer_id"]) or {}

        def failed(message):
            self.desk.update(declaration["id"], status=FilingStatus.FAILED, message=message)
        buyer_id = self._buyer_of(declaration["customer_id"], declaration["customer_name"], customer, failed)
        if buyer_id is None:
            return
        rows = self.desk.invoices(declaration["id"])
        with self.store.transaction():          # the attempt is on record before anything leaves
            self.desk.update(declaration["id"], attempts=declaration["attempts"] + 1, buyer_id=buyer_id)
        try:
            answer = self.client.declare_overdue(buyer_id, declaration["kind"], invoice_payload(rows),
                                                 declaration["key"])
        except RequestAlreadyOpen as exc:
            with self.store.transaction():
                self.desk.update(declaration["id"], message=f"waiting: {exc}")
            self.report.review.append(f"customer {declaration['customer_id']}: the insurer already has an open "
                                      f"overdue on this buyer; declaration D{declaration['id']} stays queued")
            return
        except InsurerRefused as exc:
            with self.store.transaction():
                failed(exc.render())
            self.report.review.append(f"customer {declaration['customer_id']}: the insurer refused declaration "
                                      f"D{declaration['id']}: {exc}")
            return
        self._count_send()
        late = answer.late or self.as_of > dt.date.fromisoformat(declaration["deadline"])
        status = FilingStatus.REVIEW if answer.needs_review else FilingStatus.FILED
        with self.store.transaction():
            self.desk.update(declaration["id"], status=status, insurer_id=answer.id, filed_at=clock.iso(),
                             late=int(late), raw=raw_text(answer.raw),
                             message=answer.raw_state or "")
            self.store.db.execute("UPDATE insurer_overdue_invoices SET sent=1 WHERE declaration_id=?",
                                  (declaration["id"],))
            self._audit(declaration["customer_id"], f"overdue declaration D{declaration['id']} filed"
                        + (" LATE" if late else "") + f" ({answer.raw_state or '?'})", declaration["customer_name"])
        what = f"filed ({answer.raw_state or '?'})" + (f", LATE: the deadline was {declaration['deadline']}"
                                                        if late else "")
        self.report.declarations.append((declaration["id"], declaration["customer_id"],
                                         declaration["customer_name"], what))
        if late:
            self.report.review.append(f"customer {declaration['customer_id']}: declaration D{declaration['id']} "
                                      f"was filed after its deadline {declaration['deadline']}; the insurer may "
                                      "cancel the cover")
        if status == FilingStatus.REVIEW:
            self.report.review.append(f"customer {declaration['customer_id']}: the insurer's answer to declaration "
                                      f"D{declaration['id']} could not be read (state {answer.raw_state!r}); kept raw")

    def deadline_writes(self, cycle) -> list[Write]:
        """A NOTIFY per declaration not filed yet whose deadline is within the warning days, once per deadline
        (the key holds the date); it says when the insurer could not be reached that the deadline is at risk."""
        if self.terms is None or self.dry_run:
            return []
        writes, warn = [], self.terms.deadline_warning_days
        for declaration in self.desk.declarations(statuses=FilingStatus.unfiled()):
            deadline = dt.date.fromisoformat(declaration["deadline"])
            left = (deadline - self.as_of).days
            if left > warn or declaration["customer_id"] not in self.customers:
                continue
            why = "it awaits approval (creditguard insurer approve D{})".format(declaration["id"]) \
                if declaration["status"] == FilingStatus.AWAITING_APPROVAL else "it is queued"
            at_risk = bool(self.report.problem) and declaration["status"] == FilingStatus.QUEUED
            if at_risk:
                why += "; the insurer cannot be reached: the deadline is at risk"
            text = (f"Overdue declaration D{declaration['id']} must reach the insurer by {deadline.isoformat()} "
                    f"({left} days left; " if left >= 0 else
                    f"Overdue declaration D{declaration['id']} is past its deadline {deadline.isoformat()} (") + \
                f"{why})."
            key = f"deadline/declare/D{declaration['id']}/{deadline.isoformat()}" + ("/at-risk" if at_risk else "")
            writes.append(Write(key=key, customer_id=declaration["customer_id"],
                                customer_name=declaration["customer_name"] or "",
                                operation=Operation.NOTIFY, payload={"text": text, "marker": f"[creditguard {key}]"},
                                rules="insurer.declaration_deadline", reason=text))
        return writes

    def _send_queued(self) -> None:
        for request in self.ledger.requests(statuses=(RequestStatus.QUEUED,)):
            self._send(request)

    def _send(self, request) -> None:
        customer = self.customers.get(request["customer_id"]) or {}
        def failed(message):
            self.ledger.update_request(request["key"], status=RequestStatus.FAILED, message=message)
        buyer_id = self._buyer_of(request["customer_id"], request["customer_name"], customer, failed)
        if buyer_id is None:
            return
        with self.store.transaction():          # the attempt is on record before anything leaves
            self.ledger.count_attempt(request["key"])
            self.ledger.update_request(request["key"], buyer_id=buyer_id)
        key = request["key"]
        try:
            answer = self.client.request_cover(buyer_id, Decimal(request["amount"]), request["currency"], key)
        except RequestAlreadyOpen as exc:
            with self.store.transaction():
                self.ledger.update_request(key, message=f"waiting: {exc}")
            self.report.review.append(f"customer {request['customer_id']}: the insurer has another open request "
                                      "on this buyer; ours stays queued")
            return
        except InsurerRefused as exc:
            with self.store.transaction():
                self.ledger.update_request(key, status=RequestStatus.FAILED, message=exc.render())
            self.report.review.append(f"customer {request['customer_id']}: the insurer refused the request: {exc}")
            return
        self._count_send()
        self._record_answer(request, answer)

    def _count_send(self) -> None:
        self._sent += 1
        if self._sent == int(os.environ.get(FAULT_ENV) or 0):
            log.error("fault injection: crashing after %d insurer filings, before recording the answer", self._sent)
            os._exit(CRASH_EXIT)

    def _buyer_of(self, customer_id, customer_name, customer, failed) -> str | None:
        """The insurer's buyer id of a customer: found once with find_buyer, then kept; `failed(message)`
        records (in a transaction) that none was found."""
        buyer_id = self.ledger.buyer_id(customer_id)
        if buyer_id:
            return buyer_id
        name = customer.get("name") or customer_name or ""
        buyer = self.client.find_buyer(name, customer.get("country"))
        with self.store.transaction():
            if buyer is None:
                failed(f"the insurer knows no buyer {name!r} in {customer.get('country') or 'any country'}")
                self.report.review.append(f"customer {customer_id} {name}: no buyer found at the insurer; "
                                          "nothing was sent")
                return None
            self.ledger.bind_buyer(customer_id, buyer.insurer_buyer_id, buyer.name)
        grade = self.client.buyer_grade(buyer.insurer_buyer_id)
        with self.store.transaction():
            self.ledger.grade_checked(customer_id)
        if grade is not None:
            with self.store.transaction():
                self.ledger.set_grade(customer_id, grade.grade, grade.raw_grade,
                                      grade.as_of and grade.as_of.isoformat())
                self.store.audit(customer_id, f"insurer buyer {buyer.insurer_buyer_id}, grade "
                                 f"{_text(grade.grade)}", name=name, actor=self.actor)
        return buyer.insurer_buyer_id

    def _record_answer(self, request, answer) -> None:
        if "unread" in answer.raw:
            self.report.unread.append(f"customer {request['customer_id']}: request {answer.id} went in, but its "
                                      f"state could not be read ({answer.raw['unread']}); it is followed up later")
        state = answer.state
        status = {"pending": RequestStatus.OPEN, "decided": RequestStatus.DECIDED}.get(
            state, RequestStatus.FAILED if state in ("withdrawn", "failed") else RequestStatus.REVIEW)
        if answer.needs_review:
            status = RequestStatus.REVIEW
        with self.store.transaction():
            self.ledger.update_request(request["key"], status=status, request_id=answer.id, sent_at=clock.iso(),
                                       raw=_json(answer.raw),
                                       message=_decision_text(answer.decision) if answer.decision else state)
            if answer.decision is not None:
                self._record_decision(answer.decision)
        if status == RequestStatus.REVIEW:
            self.report.review.append(f"customer {request['customer_id']}: the insurer's answer to request "
                                      f"{answer.id} could not be read (state {answer.raw_state!r}); kept raw")
        self.report.sent.append((request["customer_id"], request["customer_name"], Decimal(request["amount"]),
                                 request["currency"], status))

    # -- covers -----------------------------------------------------------------------------------

    def desired_cover(self, customer_id, pending_customers=None) -> dict | None:
        """The cover the facts and the ERP should show for a customer the step speaks for."""
        cover = self.ledger.cover_on(customer_id, self.as_of)
        pending = customer_id in (self.ledger.pending_customers() if pending_customers is None
                                  else pending_customers)
        if cover is not None:
            return {"amount": str(cover.amount), "currency": cover.currency, "status": cover.status,
                    "valid_until": cover.valid_until, "request_pending": pending, "reduced": cover.reduced}
        if pending:
            return {"amount": "0", "currency": self.currency, "status": "pending", "valid_until": None,
                    "request_pending": True, "reduced": False}
        erp = self.erp_covers.get(customer_id)
        return dict(erp, request_pending=False) if erp else None

    def cover_writes(self, cycle) -> list[Write]:
        """SET_COVER for each customer whose ERP cover fields differ from the insurer's cover."""
        writes, waiting = [], self.ledger.pending_customers()
        for customer_id in sorted(self.ledger.managed_customers() & set(self.customers)):
            wanted = self.desired_cover(customer_id, waiting)
            if _fields(wanted) == _fields(self.erp_covers.get(customer_id)):
                continue
            if wanted and wanted["currency"] not in (None, self.currency):
                self.report.review.append(f"customer {customer_id}: cover in {wanted['currency']}, the ERP keeps "
                                          f"covers in {self.currency}; not written")
                continue
            amount, status, until, pending = _fields(wanted)
            payload = {"amount": None if amount is None else str(amount), "currency": self.currency,
                       "status": status, "valid_until": until, "request_pending": pending}
            what = f"{status or 'no cover'} {amount or 0:,.2f}" + (", request pending" if pending else "")
            writes.append(Write(key=write_key(cycle, Operation.SET_COVER, customer_id), customer_id=customer_id,
                                customer_name=self.customers[customer_id].get("name",
                                                                              ""), operation=Operation.SET_COVER,
                                                                              payload=payload,
                                rules="insurer", reason=what))
        return writes


def note_only(writes) -> list[Write]:
    """With an insurer configured the pending flag is the request's (SET_COVER writes it): REQUEST_COVER
    writes become the note alone, under the same key."""
    return [Write(key=w.key, customer_id=w.customer_id, customer_name=w.customer_name, operation=Operation.ADD_NOTE,
                  payload=w.payload, rules=w.rules, reason=w.reason)
            if w.operation is Operation.REQUEST_COVER else w for w in writes]


def _fields(cover) -> tuple:
    """The ERP's view of a cover: amount, status, valid until, request pending."""
    if not cover:
        return (None, None, None, False)
    return (Decimal(str(cover["amount"])) if cover.get("amount") is not None else None, cover.get("status"),
            str(cover["valid_until"]) if cover.get("valid_until") else None, bool(cover.get("request_pending")))


def _decision_text(decision) -> str:
    amount = "?" if decision.amount is None else f"{decision.amount:,.2f}"
    effective = f" from {decision.effective_date.isoformat()}" if decision.effective_date else ""
    return f"{decision.status} {amount} {decision.currency or ''}".rstrip() + effective


def _text(grade) -> str:
    return "none" if grade is None else str(grade)


def _json(value) -> str:
    import json
    return json.dumps(value, default=str)
