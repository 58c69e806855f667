"""Contract 1.1: payment history and the WCR totals load; bad history stops with exit 2 naming the field."""
import pytest

from creditguard.mappings.errors import SnapshotError
from creditguard.mappings.snapshot import load_snapshot
from tests.conftest import invoice, make_snapshot, run_cli

CUSTOMERS = [{"id": "c1", "name": "Acme"}]


def history_snapshot(invoices, **company):
    doc = make_snapshot(CUSTOMERS, invoices)
    doc["format"] = "creditguard-snapshot/1.1"
    doc["company"].update(company)
    return doc


def paid(id, total="100", residual="0", payments=(("2026-11-10", "100"),), **extra):
    doc = invoice(id, residual=residual, amount_total=total, **extra)
    doc["payments"] = [{"date": d, "amount": a, "kind": k[0] if k else "payment"} for d, a, *k in payments]
    return doc


def test_a_1_1_snapshot_loads_with_its_history_and_totals(write_json):
    doc = history_snapshot([paid(1, payments=[("2026-10-20", "60"), ("2026-11-02", "40", "write_off")]),
                            invoice(2)], trade_payables="500", inventory_value="700.50")
    snap = load_snapshot(write_json(doc))
    assert [(str(p.date), p.amount, p.kind) for p in snap.invoices[0].payments] == \
        [("2026-10-20", 60, "payment"), ("2026-11-02", 40, "write_off")]
    assert snap.invoices[1].payments is None
    assert snap.company.trade_payables == 500 and str(snap.company.inventory_value) == "700.50"


def test_a_version_1_snapshot_still_loads(write_json):
    snap = load_snapshot(write_json(make_snapshot(CUSTOMERS, [invoice(1)])))
    assert snap.format == "creditguard-snapshot/1" and snap.invoices[0].payments is None


BAD = [
    ("payments exceed the invoice",
     paid(1, total="100", residual="0", payments=[("2026-10-20", "80"), ("2026-10-21", "30")]),
     "invoices[id=1].payments: payments total 110 exceed the invoice's amount_total 100"),
    ("payment before the invoice",
     paid(1, payments=[("2026-09-30", "100")]),
     "invoices[id=1].payments[0].date: payment dated 2026-09-30 before the invoice date 2026-10-01"),
    ("payment after as_of",
     paid(1, payments=[("2026-10-20", "50"), ("2026-12-01", "50")]),
     "invoices[id=1].payments[1].date: payment dated 2026-12-01 after the snapshot's as_of 2026-11-26"),
    ("invoice after as_of",
     paid(1, payments=[], residual="100", invoice_date="2026-12-01", due="2026-12-31"),
     "invoices[id=1].invoice_date: invoice dated 2026-12-01 after the snapshot's as_of"),
    ("history does not match the residual (partial payment)",
     paid(1, total="100", residual="50", payments=[("2026-10-20", "30")]),
     "invoices[id=1].amount_residual: the history does not match the residual: amount_total 100 - payments 30"
     " = 70, but amount_residual is 50"),
    ("empty history on a paid invoice",
     paid(1, total="100", residual="0", payments=[]),
     "invoices[id=1].amount_residual: the history does not match the residual"),
    ("a date that is not one",
     paid(1, payments=[("2026-02-30", "100")]),
     "invoices[id=1].payments[0].date: Input should be a valid date"),
    ("a negative payment",
     paid(1, payments=[("2026-10-20", "-100")]),
     "invoices[id=1].payments[0].amount: Input should be greater than 0"),
]


@pytest.mark.parametrize("label, bad, expected", BAD, ids=[b[0] for b in BAD])
def test_bad_history_exits_2_naming_record_and_field(write_json, label, bad, expected):
    path = write_json(history_snapshot([invoice(0), bad]))
    for command in ("kpis", "evaluate"):
        proc = run_cli(command, "--snapshot", path, check=2)
        assert expected in proc.stderr, proc.stderr
        assert proc.stdout == ""


def test_history_in_a_version_1_file_is_refused_with_the_format_to_use(write_json):
    doc = make_snapshot(CUSTOMERS, [paid(1)])
    with pytest.raises(SnapshotError, match=r"invoices\[id=1\].payments: payments needs format "
                                            r"'creditguard-snapshot/1.1'"):
        load_snapshot(write_json(doc))
    doc = make_snapshot(CUSTOMERS, [invoice(1)])
    doc["company"]["trade_payables"] = "10"
    with pytest.raises(SnapshotError, match="company.trade_payables: trade_payables needs format"):
        load_snapshot(write_json(doc))


def test_an_unknown_minor_version_is_refused(write_json):
    doc = history_snapshot([invoice(1)])
    doc["format"] = "creditguard-snapshot/1.2"
    with pytest.raises(SnapshotError, match="unknown format 'creditguard-snapshot/1.2'"):
        load_snapshot(write_json(doc))


def test_a_large_history_file_is_read_in_pieces_cut_between_records(write_json, monkeypatch):
    import creditguard.mappings.scan as scan_module
    from creditguard.mappings.snapshot import open_snapshot
    monkeypatch.setattr(scan_module, "CHUNK_BYTES", 300)
    invoices = [paid(i, total="100", residual="40", payments=[("2026-10-20", "10"), ("2026-10-21", "50")])
                for i in range(30)]
    source = open_snapshot(write_json(history_snapshot(invoices)))
    assert len(source.chunks("invoices")) > 5                  # the payments' "}, {" did not cut a record
    records = [r for chunk in source.chunks("invoices") for r in source.read_chunk("invoices", chunk)]
    assert [r.id for r in records] == [str(i) for i in range(30)] and source._whole is None


def test_a_bad_history_found_by_a_worker_process_names_the_record(write_json, monkeypatch):
    import creditguard.mappings.scan as scan_module
    from creditguard.connector.cli.analytics_batch import books_of
    from creditguard.mappings.snapshot import open_snapshot
    monkeypatch.setattr(scan_module, "CHUNK_BYTES", 300)
    invoices = [paid(i) for i in range(20)] + [paid(20, total="100", residual="10")]
    source = open_snapshot(write_json(history_snapshot(invoices)))
    assert len(source.chunks("invoices")) > 3
    with pytest.raises(SnapshotError, match=r"invoices\[id=20\].amount_residual: the history does not match"):
        books_of(source, jobs=2)
