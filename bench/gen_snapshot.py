"""Write a deterministic synthetic snapshot v1 (docs/snapshot.md), streamed, for the benchmarks.

    python bench/gen_snapshot.py --customers 100000 --invoices 1000000 [--orders K] [--seed S] [--history] -o FILE

--history writes contract 1.1: each posted invoice's payments (dates drawn from its customer's payer
profile, summing exactly to amount_total - amount_residual, a few closed by a write-off) and the
company's trade payables and inventory value. It draws from a second RNG, so the invoices are the
same as without it.

The same arguments always give the same bytes. Only per-customer attributes are kept in memory;
invoices and orders are written in batches as they are drawn, so 1M invoices need a few tens of MiB.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import random
import sys
import time

FORMAT = "creditguard-snapshot/1"
FORMAT_HISTORY = "creditguard-snapshot/1.1"
# days from due date to payment, by payer profile (good / average / bad): uniform in the range
LATENESS = [(-6, 12), (0, 40), (10, 95)]
COMPANY_CURRENCY = "EUR"
FX_RATES = {"USD": "0.92", "GBP": "1.17", "CHF": "1.05"}
POLICY_TERMS = {
    "insurer": "allianz-trade",
    "max_credit_period_days": 90,
    "max_extension_days": 60,
    "overdue_notification_days": 60,
    "discretionary_limit": "10000",
    "insured_percent": 90,
}
# country: (weight among customers, OECD-style grade or None when missing from country_risk)
COUNTRIES = {
    "DE": (30, 0), "FR": (12, 0), "NL": (6, 0), "BE": (4, 0), "AT": (4, 0), "IT": (6, 0), "ES": (5, 0),
    "PL": (3, 0), "CZ": (2, 0), "GB": (6, 0), "CH": (4, 0), "US": (6, 0), "CN": (2, 2), "IN": (1, 2),
    "TH": (1, 2), "AE": (1, 2), "MA": (1, 3), "ID": (1, 3), "BR": (1, 4), "ZA": (1, 4), "VN": (1, 4),
    "TR": (2, 5), "EG": (1, 6), "KE": (1, 6), "NG": (1, 6), "AR": (1, 7), "UA": (1, 7), "PK": (1, 7),
    "XK": (1, None), "GI": (1, None), "SM": (1, None),
}
CURRENCY_BY_COUNTRY = {"GB": "GBP", "CH": "CHF", "US": "USD", "CN": "USD", "IN": "USD", "TH": "USD",
                       "AE": "USD", "ID": "USD", "BR": "USD", "VN": "USD", "PK": "USD", "NG": "USD"}
NAME_PARTS = ["Acme", "Nordwind", "Müller & Söhne", "Blue River", "Atlas", "Helios", "Orion", "Sirius",
              "Delta \"Star\"", "Lumen", "Castello", "Kestrel", "Vega", "Tannen", "Baltic", "Iberia"]
LEGAL_FORMS = ["GmbH", "Ltd", "S.A.", "SARL", "B.V.", "S.p.A.", "Inc.", "AG", "Sp. z o.o.", "KG"]
TERMS = [15, 30, 30, 30, 45, 60, 60, 90, 120]
ORDER_LONG_TERMS = [60, 90, 120, 150, 180]
COVER_STATUSES = [("approved", 60), ("partial", 12), ("pending", 8), ("refused", 8), ("cancelled", 5),
                  ("expired", 7)]
# payer profile: (share of customers, probability an invoice is still unpaid by age bucket)
#   buckets: not yet due, 0-30 days overdue, 31-60, 61-90, > 90
PAYERS = [(0.72, (0.85, 0.25, 0.02, 0.005, 0.002)),
          (0.20, (0.92, 0.55, 0.15, 0.06, 0.03)),
          (0.08, (0.97, 0.80, 0.55, 0.40, 0.30))]
BATCH = 20_000


def money(cents: int) -> str:
    """Cents as a decimal string with 2 decimals (cents may be negative)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


class Generator:
    """Draws the snapshot with one seeded RNG, in a fixed order, and writes it to a text stream."""

    def __init__(self, customers: int, invoices: int, orders: int, seed: int, as_of: dt.date,
                 policy_terms: bool, history: bool = False, span: int = 200):
        self.span = span                # an invoice falls due up to this many days before as_of
        self.n_customers, self.n_invoices, self.n_orders = customers, invoices, orders
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.policy_terms = policy_terms
        self.history = random.Random(seed + 1_000_003) if history else None
        self.cust_lateness: list[tuple[int, int]] = []
        # ISO date of as_of + k days, for k in [-DAYS, DAYS]; drawing dates is then an index lookup
        self.date_offset = max(800, span + 400)
        self.dates = [(as_of + dt.timedelta(days=k)).isoformat()
                      for k in range(-self.date_offset, self.date_offset + 1)]
        # per customer: currency, term, cumulative weight, invoice scale (cents), unpaid profile
        self.cust_currency: list[str] = []
        self.cust_term: list[int] = []
        self.cust_cum_weight: list[float] = []
        self.cust_scale: list[float] = []
        self.cust_unpaid: list[tuple[float, ...]] = []

    def date(self, offset: int) -> str:
        return self.dates[offset + self.date_offset]

    # -- customers -----------------------------------------------------------------------------
    def draw_customers(self) -> None:
        """Draw the per-customer attributes that invoices and orders depend on."""
        rng = self.rng
        codes = list(COUNTRIES)
        country_weights = [COUNTRIES[c][0] for c in codes]
        self.cust_country = rng.choices(codes, weights=country_weights, k=self.n_customers)
        total = 0.0
        for country in self.cust_country:
            if country in CURRENCY_BY_COUNTRY and rng.random() < 0.85:
                currency = CURRENCY_BY_COUNTRY[country]
            else:
                currency = COMPANY_CURRENCY if rng.random() < 0.93 else rng.choice(list(FX_RATES))
            self.cust_currency.append(currency)
            self.cust_term.append(rng.choice(TERMS))
            total += rng.lognormvariate(0.0, 1.0)  # activity: some customers buy much more often
            self.cust_cum_weight.append(total)
            self.cust_scale.append(rng.lognormvariate(math.log(150_000), 0.9))  # median 1,500.00
            share = rng.random()
            for profile, (payer_share, unpaid) in enumerate(PAYERS):
                if share < payer_share:
                    break
                share -= payer_share
            self.cust_unpaid.append(unpaid)
            self.cust_lateness.append(LATENESS[profile])

    def customer_record(self, i: int) -> str:
        rng = self.rng
        expected_invoices = self.n_invoices * (self.cust_cum_weight[i] - (self.cust_cum_weight[i - 1] if i else 0.0)) \
            / self.cust_cum_weight[-1]
        # rough open exposure in cents: a third of the invoices open plus one order
        expected_exposure = (expected_invoices * 0.35 + 1.0) * self.cust_scale[i]
        r = rng.random()
        if r < 0.08:
            credit_limit = "null"
        elif r < 0.14:
            credit_limit = '"0.00"'
        else:
            limit = max(1000_00, round(expected_exposure * rng.uniform(0.6, 3.0) / 1000_00) * 1000_00)
            credit_limit = f'"{money(limit)}"'
        name = json.dumps(f"{rng.choice(NAME_PARTS)} {i + 1} {rng.choice(LEGAL_FORMS)}", ensure_ascii=False)
        on_hold = "true" if rng.random() < 0.05 else "false"
        return (f'{{"id": "C{i + 1}", "name": {name}, "country": "{self.cust_country[i]}", '
                f'"credit_limit": {credit_limit}, "payment_term_days": {self.cust_term[i]}, '
                f'"on_hold": {on_hold}, "insurer_cover": {self.cover_record(expected_exposure)}}}')

    def cover_record(self, expected_exposure: float) -> str:
        rng = self.rng
        if rng.random() < 0.15:
            return "null"
        r = rng.random() * 100
        for status, weight in COVER_STATUSES:
            if r < weight:
                break
            r -= weight
        amount = max(5000_00, round(expected_exposure * rng.uniform(0.5, 2.0) / 5000_00) * 5000_00)
        currency = COMPANY_CURRENCY if rng.random() < 0.85 else rng.choice(list(FX_RATES))
        v = rng.random()
        if status == "expired" or v < 0.10:
            valid_until = f'"{self.date(-rng.randint(1, 400))}"'  # already past
        elif v < 0.30:
            valid_until = f'"{self.date(rng.randint(0, 400))}"'  # still valid (0: ends today)
        else:
            valid_until = "null"
        pending = "true" if rng.random() < 0.06 else "false"
        return (f'{{"amount": "{money(amount)}", "currency": "{currency}", "status": "{status}", '
                f'"valid_until": {valid_until}, "request_pending": {pending}}}')

    # -- invoices ------------------------------------------------------------------------------
    def invoice_records(self, start: int, count: int) -> list[str]:
        rng = self.rng
        rand, randint = rng.random, rng.randint
        owners = rng.choices(range(self.n_customers), cum_weights=self.cust_cum_weight, k=count)
        year = self.as_of.year
        out = []
        for k, c in enumerate(owners):
            n = start + k + 1
            currency = self.cust_currency[c] if rand() < 0.95 else COMPANY_CURRENCY
            total = max(1, int(self.cust_scale[c] * rng.lognormvariate(0.0, 0.8)))
            term = self.cust_term[c]
            days_overdue = randint(-term, self.span)  # > 0: due before as_of; never dated after as_of
            r = rand()
            state = "posted" if r < 0.90 else ("draft" if r < 0.96 else "cancelled")
            if rand() < 0.05:
                kind = "credit_note"
                total = max(1, total // 4)
                invoice_offset = due_offset = min(0, -days_overdue)
                residual = total if rand() < 0.30 else 0
            else:
                kind = "invoice"
                due_offset = -days_overdue
                invoice_offset = due_offset - term
                if state == "draft":
                    due_offset = randint(0, term)
                    invoice_offset = due_offset - term
                    residual = total
                elif state == "cancelled":
                    residual = total
                else:
                    unpaid = self.cust_unpaid[c]
                    bucket = 0 if days_overdue <= 0 else 1 if days_overdue <= 30 else 2 if days_overdue <= 60 \
                        else 3 if days_overdue <= 90 else 4
                    p = rand()
                    if p >= unpaid[bucket]:
                        residual = 0
                    elif p < unpaid[bucket] * 0.25:
                        residual = max(1, int(total * rng.uniform(0.1, 0.9)))  # partly paid
                    else:
                        residual = total
            disputed = "true" if rand() < 0.02 else "false"
            payments = ""
            if self.history is not None and state == "posted":
                payments = f', "payments": {self.payments(c, total - residual, invoice_offset, due_offset)}'
            out.append(f'{{"id": "I{n}", "number": "INV/{year}/{n:07d}", "customer_id": "C{c + 1}", '
                       f'"kind": "{kind}", "state": "{state}", "currency": "{currency}", '
                       f'"amount_total": "{money(total)}", "amount_residual": "{money(residual)}", '
                       f'"invoice_date": "{self.date(invoice_offset)}", "due_date": "{self.date(due_offset)}", '
                       f'"disputed": {disputed}{payments}}}')
        return out

    def payments(self, c: int, paid: int, invoice_offset: int, due_offset: int) -> str:
        """The events that paid `paid` cents: one payment, or two parts (20 %), the last part written off (2 %)
        when the invoice is closed; dated by the customer's lateness, between invoice date and as_of."""
        if paid <= 0:
            return "[]"
        rng = self.history
        low, high = self.cust_lateness[c]
        last = min(0, max(invoice_offset, due_offset + rng.randint(low, high)))
        if paid < 2 or rng.random() >= 0.22:
            return f'[{{"date": "{self.date(last)}", "amount": "{money(paid)}", "kind": "payment"}}]'
        first_part = rng.randint(1, paid - 1)
        first = rng.randint(invoice_offset, last)
        kind = "write_off" if rng.random() < 0.1 else "payment"
        return (f'[{{"date": "{self.date(first)}", "amount": "{money(first_part)}", "kind": "payment"}}, '
                f'{{"date": "{self.date(last)}", "amount": "{money(paid - first_part)}", "kind": "{kind}"}}]')

    # -- orders --------------------------------------------------------------------------------
    def order_records(self, start: int, count: int) -> list[str]:
        rng = self.rng
        rand = rng.random
        owners = rng.choices(range(self.n_customers), cum_weights=self.cust_cum_weight, k=count)
        out = []
        for k, c in enumerate(owners):
            n = start + k + 1
            total = max(1, int(self.cust_scale[c] * rng.lognormvariate(0.5, 0.8)))
            r = rand()
            if r < 0.25:
                state, to_invoice = "quotation", total
            elif r < 0.60:
                state = "confirmed"
                to_invoice = total if rand() < 0.7 else int(total * rng.uniform(0.05, 0.95))
            elif r < 0.90:
                state = "done"
                to_invoice = 0
            else:
                state, to_invoice = "cancelled", total
            term = self.cust_term[c] if rand() < 0.88 else rng.choice(ORDER_LONG_TERMS)
            out.append(f'{{"id": "O{n}", "number": "S{n:07d}", "customer_id": "C{c + 1}", "state": "{state}", '
                       f'"currency": "{self.cust_currency[c]}", "amount_total": "{money(total)}", '
                       f'"amount_to_invoice": "{money(to_invoice)}", "date_order": "{self.date(-rng.randint(0, 120))}", '
                       f'"payment_term_days": {term}}}')
        return out

    # -- the file ------------------------------------------------------------------------------
    def write(self, out) -> None:
        self.draw_customers()
        head = {"format": FORMAT if self.history is None else FORMAT_HISTORY, "as_of": self.as_of.isoformat(),
                "company": {"name": "Benchmark Exports SE", "currency": COMPANY_CURRENCY},
                "fx_rates": FX_RATES}
        if self.history is not None:
            scale = self.n_invoices * 60_00      # about a month and a half of sales, in cents
            head["company"].update(trade_payables=money(scale), inventory_value=money(scale * 3 // 2))
        if self.policy_terms:
            head["policy_terms"] = POLICY_TERMS
        head["country_risk"] = {c: grade for c, (_, grade) in COUNTRIES.items() if grade is not None}
        out.write(json.dumps(head, ensure_ascii=False)[:-1])
        self.write_list(out, "customers", self.n_customers,
                        lambda start, count: [self.customer_record(i) for i in range(start, start + count)])
        self.write_list(out, "invoices", self.n_invoices, self.invoice_records)
        self.write_list(out, "orders", self.n_orders, self.order_records)
        out.write("}\n")

    @staticmethod
    def write_list(out, key: str, total: int, batch) -> None:
        out.write(f', "{key}": [')
        for start in range(0, total, BATCH):
            records = batch(start, min(BATCH, total - start))
            out.write((",\n" if start else "\n") + ",\n".join(records))
        out.write("\n]")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=None, help="default: invoices / 5")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 26))
    parser.add_argument("--no-policy-terms", action="store_true", help="omit policy_terms (no insurer rules)")
    parser.add_argument("--history", action="store_true", help="contract 1.1: payment history and WCR totals")
    parser.add_argument("--span", type=int, default=200, metavar="DAYS",
                        help="invoices fall due up to DAYS before as_of (default 200); a longer span gives a longer "
                             "payment history, e.g. for `creditguard forecast --backtest`")
    parser.add_argument("-o", "--output", required=True, help="output file, '-' for stdout")
    args = parser.parse_args(argv)
    if args.customers < 1 or args.invoices < 0 or (args.orders or 0) < 0:
        parser.error("need at least one customer and no negative counts")
    orders = args.invoices // 5 if args.orders is None else args.orders
    gen = Generator(args.customers, args.invoices, orders, args.seed, args.as_of, not args.no_policy_terms,
                    args.history, args.span)
    started = time.perf_counter()
    if args.output == "-":
        gen.write(sys.stdout)
    else:
        with open(args.output, "w", encoding="utf-8", buffering=1 << 20) as out:
            gen.write(out)
    print(f"wrote {args.output}: {args.customers} customers, {args.invoices} invoices, {orders} orders "
          f"in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
