"""Turn a public receivables history into a Credit Guard snapshot (contract 1.1) as of a date.

    python bench/ar_sample.py WA_Fn-UseC_-Accounts-Receivable.csv --as-of 2013-12-31 -o ar.json

The input is IBM's "Accounts Receivable" sample (Watson Analytics sample data, 2,466 invoices of 100
customers, 2012-2013; columns countryCode, customerID, invoiceNumber, InvoiceDate, DueDate,
InvoiceAmount, Disputed, SettledDate, ...; dates M/D/YYYY). It is not shipped with the project: it
is published with IBM's samples and copied in public repositories (e.g. pthiagu2/DataMining on GitHub).
Each invoice dated on or before --as-of becomes a posted invoice; one settled on or before --as-of
carries one payment of its whole amount on its SettledDate, a later one is open with its whole amount.
The sample has no currency: the company's is USD."""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys


def day(text: str) -> dt.date:
    month, mday, year = (int(part) for part in text.split("/"))
    return dt.date(year, month, mday)


def snapshot(rows, as_of: dt.date) -> dict:
    customers, invoices = {}, []
    for row in rows:
        issued = day(row["InvoiceDate"])
        if issued > as_of:
            continue
        cid = row["customerID"]
        customers.setdefault(cid, {"id": cid, "name": f"Customer {cid}", "payment_term_days": 30})
        settled = day(row["SettledDate"])
        amount = row["InvoiceAmount"]
        paid = settled <= as_of
        invoices.append({"id": row["invoiceNumber"], "customer_id": cid, "kind": "invoice", "state": "posted",
                         "currency": "USD", "amount_total": amount, "amount_residual": "0" if paid else amount,
                         "invoice_date": issued.isoformat(), "due_date": day(row["DueDate"]).isoformat(),
                         "disputed": row["Disputed"] == "Yes",
                         "payments": [{"date": settled.isoformat(), "amount": amount, "kind": "payment"}]
                         if paid else []})
    return {"format": "creditguard-snapshot/1.1", "as_of": as_of.isoformat(),
            "company": {"name": "AR sample", "currency": "USD"}, "fx_rates": {}, "country_risk": {},
            "customers": list(customers.values()), "invoices": invoices, "orders": []}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", help="the sample's CSV file")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, required=True)
    parser.add_argument("-o", "--output", default="-")
    args = parser.parse_args(argv)
    with open(args.csv, newline="", encoding="utf-8-sig") as src:
        doc = snapshot(csv.DictReader(src), args.as_of)
    out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
    json.dump(doc, out)
    if out is not sys.stdout:
        out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
