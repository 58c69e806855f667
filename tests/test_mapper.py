"""Mappings: the Tryton YAML files load, bad mapping files are reported with file:line, and captured Tryton
rows (shapes recorded from a real Tryton 8.2 over JSON-RPC) map to the canonical records."""
import datetime as dt
import textwrap
from decimal import Decimal

import pytest

from creditguard.mappings.errors import MappingError, SnapshotError
from creditguard.mappings.mapper import load_mappings, load_stream
from tests.conftest import REPO

D = Decimal


@pytest.fixture(scope="module")
def streams():
    return load_mappings("tryton")


LOOKUPS = {
    "currencies": {"1": {"id": "1", "code": "EUR", "rate": 1.0}, "2": {"id": "2", "code": "USD", "rate": 1.1}},
    "payment_terms": {"10": {"id": "10", "name": "Net 30", "days": 30}},
    "company": {"1": {"id": "1", "name": "Example Exports Ltd", "currency": "EUR", "party_id": "1"}},
}


def write_mapping(tmp_path, text, name="bad.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


GOOD = """\
    stream: orders
    model: sale.sale
    target: order
    map:
      - id -> id | record_id
      - party -> customer_id | record_id
      - state -> state | order_state
      - currency -> currency | currency_code
      - total_amount -> amount_total
      - total_amount, invoices -> amount_to_invoice | amount_to_invoice
    """


# -- loading --------------------------------------------------------------------------------------

def test_the_tryton_mappings_load_lookups_first(streams):
    assert list(streams) == ["currencies", "payment_terms", "company", "customers", "invoices", "orders"]
    assert streams["invoices"].model == "account.invoice" and streams["invoices"].split == "instalments"
    assert streams["customers"].replication_key == "write_date"
    assert "creditguard_hold" in streams["customers"].read


def test_a_good_mapping_loads(tmp_path):
    stream = load_stream(write_mapping(tmp_path, GOOD))
    assert stream.read == ("id", "party", "state", "currency", "total_amount", "invoices")


@pytest.mark.parametrize("change, line, message", [
    (("order_state", "order_stat"), 7, "unknown converter 'order_stat'\n  hint: did you mean 'order_state'?"),
    (("-> amount_total\n", "-> amount_totl\n"), 9, "order has no field 'amount_totl'"),
    (("total_amount, invoices -> amount_to_invoice | amount_to_invoice",
      "total_amount -> amount_to_invoice | amount_to_invoice"), 10, "takes 2 source field(s)"),
    (("- state -> state | order_state", "- state => state"), 7, "is not `source -> target`"),
    (("- id -> id | record_id", "- _id -> id"), 5, "'_id' is not a field the splitter provides"),
    (("target: order", "target: orders"), 3, "target"),
    (("model: sale.sale", "model: sale.sale\nmodle: x"), 3, "modle"),
    (("- state -> state | order_state", "- state -> state | order_state\n  - state -> state"), 8,
     "'state' is already mapped on line 7"),
    (("  - party -> customer_id | record_id\n", ""), 5, "leaves required order field(s) unset: customer_id"),
    (("map:", "map: [unclosed"), 11, "not valid YAML"),
    (("- total_amount -> amount_total", "- total_amount, state -> amount_total"), 9, "several sources need"),
])
def test_a_bad_mapping_is_reported_with_file_and_line(tmp_path, change, line, message):
    path = write_mapping(tmp_path, textwrap.dedent(GOOD).replace(*change))
    with pytest.raises(MappingError) as error:
        load_stream(path)
    assert error.value.where == f"{path}:{line}"
    assert message in error.value.render()


def test_related_from_must_name_an_earlier_entry(tmp_path):
    text = textwrap.dedent(GOOD) + "related:\n  deltas: {model: x.y, from: lines.relativedeltas, read: [days]}\n"
    path = write_mapping(tmp_path, text)
    with pytest.raises(MappingError, match="not a related entry above") as error:
        load_stream(path)
    assert error.value.where == f"{path}:12"


def test_two_files_for_one_stream_are_refused(tmp_path):
    write_mapping(tmp_path, GOOD, "a.yaml")
    write_mapping(tmp_path, GOOD, "b.yaml")
    with pytest.raises(MappingError, match="also defined in"):
        load_mappings("tryton", tmp_path)


# -- fields check at connect time ---------------------------------------------------------------

def test_a_field_the_erp_lacks_is_named_with_the_mapping_line(streams):
    fields = {"party.party": {"id", "name", "addresses", "credit_limit_amount", "customer_payment_term",
                              "insurer_cover_amount", "insurer_cover_status", "insurer_cover_valid_until",
                              "insurer_cover_request_pending", "write_date"},
              "party.address": {"country"}, "country.country": {"code"}}
    with pytest.raises(MappingError) as error:
        streams["customers"].check_fields(fields.__getitem__)
    stream = streams["customers"]
    assert "model party.party has no field 'creditguard_hold'" in error.value.message
    assert error.value.where.startswith(stream.source + ":")
    line = int(error.value.where.rsplit(":", 1)[1])
    assert "creditguard_hold" in open(stream.source).read().splitlines()[line - 1]
    assert "add-on" in error.value.hint


# (that the built-in mappings fit the fields of a real Tryton is checked on its recorded answers:
#  tests/contract/test_tryton_contract.py)


# -- mapping captured rows ------------------------------------------------------------------------

def party(**values):
    row = {"id": 5, "name": "Split Co", "addresses": [3], "credit_limit_amount": D("1000"),
           "customer_payment_term": 10, "creditguard_hold": 0, "insurer_cover_amount": None,
           "insurer_cover_status": None, "insurer_cover_valid_until": None, "insurer_cover_request_pending": 0,
           "write_date": dt.datetime(2026, 11, 27, 3, 16, 58)}
    row.update(values)
    return row


ADDRESSES = {"addresses": {3: {"id": 3, "country": 7}}, "countries": {7: {"id": 7, "code": "de"}}}


def test_a_party_maps_to_a_customer(streams):
    (source, [customer]), = streams["customers"].map_page([party()], ADDRESSES, LOOKUPS)
    assert source == "5"
    assert customer == {"id": "5", "name": "Split Co", "country": "DE", "credit_limit": "1000",
                        "payment_term_days": 30, "on_hold": False, "insurer_cover": None,
                        "buyer_grade": None, "declared_overdue": False,
                        "claim_open": False}


def test_hold_and_cover_fields_map_from_the_addon(streams):
    row = party(creditguard_hold=1, insurer_cover_amount=D("40000"), insurer_cover_status="partial",
                insurer_cover_valid_until=dt.date(2027, 3, 31), customer_payment_term=None, addresses=[],
                credit_limit_amount=None)
    (_, [customer]), = streams["customers"].map_page([row], {}, LOOKUPS)
    assert customer["on_hold"] is True and customer["country"] is None and customer["credit_limit"] is None
    assert customer["payment_term_days"] is None
    assert customer["insurer_cover"] == {"amount": "40000", "currency": "EUR", "status": "partial",
                                         "valid_until": "2027-03-31", "request_pending": False,
                                         "reduced": False}


def test_a_cover_request_without_a_cover_is_a_pending_cover(streams):
    (_, [customer]), = streams["customers"].map_page([party(insurer_cover_request_pending=1)], ADDRESSES, LOOKUPS)
    assert customer["insurer_cover"]["status"] == "pending"
    assert customer["insurer_cover"]["request_pending"] is True


def test_a_row_that_does_not_fit_the_model_names_the_erp_record(streams):
    with pytest.raises(SnapshotError) as error:
        streams["customers"].map_page([party(insurer_cover_status="revoked")], ADDRESSES, LOOKUPS)
    assert error.value.where == "party.party 5: insurer_cover.status"


def move_line(id, debit=0, credit=0, maturity=None, reconciliation=None):
    return {"id": id, "debit": D(debit), "credit": D(credit), "maturity_date": maturity,
            "reconciliation": reconciliation, "amount_second_currency": None, "second_currency": None}


def invoice_row(**values):
    row = {"id": 6, "currency": 1, "party": 5, "number": "INV2/1", "state": "posted",
           "sequence_type_cache": "invoice", "total_amount": D("1000.00"), "invoice_date": dt.date(2026, 10, 18),
           "payment_term_date": None, "lines_to_pay": [10, 11], "payment_lines": [12]}
    row.update(values)
    return row


INSTALMENTS = {
    "lines_to_pay": {10: move_line(10, debit="500.00", maturity=dt.date(2026, 11, 17)),
                     11: move_line(11, debit="500.00", maturity=dt.date(2027, 1, 17)),
                     15: move_line(15, credit="100.00", maturity=dt.date(2026, 12, 26))},
    "payment_lines": {12: move_line(12, credit="200")},
}


def map_invoices(streams, rows, related=INSTALMENTS):
    return {source: records for source, records in streams["invoices"].map_page(rows, related, LOOKUPS)}


def test_an_invoice_with_two_unpaid_instalments_gives_two_invoices(streams):
    first, second = map_invoices(streams, [invoice_row()])["6"]
    assert (first["id"], first["due_date"], first["amount_total"], first["amount_residual"]) == \
        ("6/10", "2026-11-17", "500.00", "300.00")        # the partial payment of 200 goes to the first
    assert (second["id"], second["due_date"], second["amount_residual"]) == ("6/11", "2027-01-17", "500.00")
    assert first["number"] == "INV2/1 (1/2)" and first["customer_id"] == "5" and first["kind"] == "invoice"


def test_a_paid_instalment_is_left_out(streams):
    related = dict(INSTALMENTS, lines_to_pay={**INSTALMENTS["lines_to_pay"],
                                              10: move_line(10, debit="500.00", reconciliation=4)})
    [only] = map_invoices(streams, [invoice_row(payment_lines=[])], related)["6"]
    assert only["id"] == "6/11" and only["amount_residual"] == "500.00"


def test_a_single_instalment_invoice_keeps_its_id(streams):
    [credit_note] = map_invoices(streams, [invoice_row(id=7, lines_to_pay=[15], payment_lines=[],
                                                       sequence_type_cache="credit_note",
                                                       total_amount=D("-100.00"))])["7"]
    assert credit_note["id"] == "7" and credit_note["kind"] == "credit_note"
    assert credit_note["amount_total"] == "100.00" and credit_note["amount_residual"] == "100.00"
    assert credit_note["due_date"] == "2026-12-26"


@pytest.mark.parametrize("state, canonical, residual", [
    ("draft", "draft", "1000.00"), ("validated", "draft", "1000.00"), ("cancelled", "cancelled", "1000.00"),
    ("paid", "posted", "0"),
])
def test_invoice_states(streams, state, canonical, residual):
    [record] = map_invoices(streams, [invoice_row(state=state, lines_to_pay=[], payment_lines=[],
                                                  sequence_type_cache=None)])["6"]
    assert record["state"] == canonical and record["id"] == "6"
    assert D(record["amount_residual"]) == D(residual)


def test_a_draft_with_a_negative_total_is_a_credit_note(streams):
    [record] = map_invoices(streams, [invoice_row(state="draft", sequence_type_cache=None,
                                                  total_amount=D("-50"), lines_to_pay=[], payment_lines=[])])["6"]
    assert record["kind"] == "credit_note" and record["amount_total"] == "50"


def test_an_unknown_state_is_a_mapping_error(streams):
    with pytest.raises(MappingError, match="unknown invoice state 'proforma'") as error:
        map_invoices(streams, [invoice_row(state="proforma")])
    assert error.value.where == "account.invoice 6"


def test_an_unknown_currency_is_a_mapping_error(streams):
    with pytest.raises(MappingError, match="currencies record 9 is unknown"):
        map_invoices(streams, [invoice_row(currency=9)])


def sale_row(**values):
    row = {"id": 2, "number": "S/2", "party": 5, "state": "processing", "currency": 1,
           "total_amount": D("1200.00"), "invoices": [4, 5], "sale_date": dt.date(2026, 11, 20), "payment_term": 10}
    row.update(values)
    return row


SALE_INVOICES = {"invoices": {4: {"id": 4, "state": "posted", "total_amount": D("500.00")},
                              5: {"id": 5, "state": "draft", "total_amount": D("700.00")}}}


def test_amount_to_invoice_is_what_no_posted_invoice_covers(streams):
    (_, [order]), = streams["orders"].map_page([sale_row()], SALE_INVOICES, LOOKUPS)
    assert order == {"id": "2", "number": "S/2", "customer_id": "5", "state": "confirmed", "currency": "EUR",
                     "amount_total": "1200.00", "amount_to_invoice": "700.00", "date_order": "2026-11-20",
                     "payment_term_days": 30}


@pytest.mark.parametrize("state, canonical", [("draft", "quotation"), ("quotation", "quotation"),
                                              ("confirmed", "confirmed"), ("processing", "confirmed"),
                                              ("done", "done"), ("cancelled", "cancelled")])
def test_sale_states(streams, state, canonical):
    (_, [order]), = streams["orders"].map_page([sale_row(state=state, invoices=[])], {}, LOOKUPS)
    assert order["state"] == canonical and order["amount_to_invoice"] == "1200.00"


def test_payment_term_days_are_the_longest_delta(streams):
    rows = [{"id": 12, "name": "Split 30/60", "lines": [12, 13]}, {"id": 6, "name": "End of Month", "lines": [6]},
            {"id": 1, "name": "Upon Receipt", "lines": [1]}]
    related = {"lines": {12: {"id": 12, "relativedeltas": [13]}, 13: {"id": 13, "relativedeltas": [14]},
                         6: {"id": 6, "relativedeltas": [5]}, 1: {"id": 1, "relativedeltas": []}},
               "deltas": {13: {"id": 13, "days": 30, "weeks": 0, "months": 0, "day": None, "month": None,
                               "weekday": None},
                          14: {"id": 14, "days": 60, "weeks": 0, "months": 1, "day": None, "month": None,
                               "weekday": None},
                          5: {"id": 5, "days": 0, "weeks": 0, "months": 0, "day": 31, "month": None,
                              "weekday": None}}}
    mapped = {s: r[0]["days"] for s, r in streams["payment_terms"].map_page(rows, related, {})}
    assert mapped == {"12": 90, "6": 30, "1": 0}


def test_company_and_currencies(streams):
    (_, [company]), = streams["company"].map_page([{"id": 1, "rec_name": "Example Exports Ltd", "currency": 1,
                                                    "party": 1}], {}, LOOKUPS)
    assert company == {"id": "1", "name": "Example Exports Ltd", "currency": "EUR", "party_id": "1"}
    (_, [usd]), = streams["currencies"].map_page([{"id": 2, "code": "USD", "rate": D("1.1")}], {}, {})
    assert usd == {"id": "2", "code": "USD", "rate": 1.1}


def test_fx_rates_come_from_the_rates_against_a_common_base():
    from creditguard.connector.cycle.sync import fx_rates
    currencies = [{"id": "1", "code": "EUR", "rate": 1.0}, {"id": "2", "code": "USD", "rate": 1.25},
                  {"id": "3", "code": "GBP", "rate": None}]
    assert fx_rates(currencies, "EUR") == {"USD": D("0.8")}            # 1 USD = 0.8 EUR; GBP has no rate
    assert fx_rates(currencies[1:], "EUR") == {}                       # no rate for the company currency


def test_the_snapshot_leaves_out_the_company_party_and_orphan_documents():
    from creditguard.connector.cycle.sync import build_snapshot
    records = {"company": [LOOKUPS["company"]["1"]], "currencies": list(LOOKUPS["currencies"].values()),
               "customers": [{"id": "1", "name": "Example Exports Ltd"}, {"id": "5", "name": "Acme"}],
               "invoices": [{"id": "6", "customer_id": "5", "kind": "invoice", "state": "posted", "currency": "USD",
                             "amount_total": "10", "amount_residual": "10", "due_date": "2026-11-01"},
                            {"id": "8", "customer_id": "99", "kind": "invoice", "state": "posted", "currency": "EUR",
                             "amount_total": "10", "amount_residual": "10", "due_date": "2026-11-01"}],
               "orders": []}
    snapshot = build_snapshot(records, as_of=dt.date(2026, 11, 27))
    assert [c.id for c in snapshot.customers] == ["5"] and [i.id for i in snapshot.invoices] == ["6"]
    assert snapshot.fx_rates == {"USD": D("0.909091")} and snapshot.company.currency == "EUR"


def test_the_tryton_add_on_knows_exactly_the_canonical_cover_statuses():
    # the add-on runs inside Tryton and cannot import Credit Guard: its selection must stay in step
    import ast
    from creditguard.mappings.models import COVER_STATUSES
    tree = ast.parse((REPO / "addons" / "tryton" / "creditguard" / "party.py").read_text())
    [selection] = [node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                   and any(getattr(t, "id", None) == "COVER_STATUSES" for t in node.targets)]
    keys = [element.elts[0].value for element in selection.elts]
    assert keys == [None, *COVER_STATUSES]


def test_an_optional_source_is_read_only_where_the_erp_has_it(tmp_path):
    path = tmp_path / "customers.yaml"
    path.write_text("stream: customers\nmodel: res.partner\ntarget: customer\nmap:\n  - id -> id | record_id\n"
                    "  - name -> name\n  - credit_guard_hold? -> on_hold | boolean\n")
    stream = load_stream(path)
    without_addon = {"res.partner": {"id": {}, "name": {}}}
    assert stream.missing_fields(without_addon.__getitem__) == []
    assert stream.fields_to_read(without_addon.__getitem__) == ["id", "name"]
    with_addon = {"res.partner": {"id": {}, "name": {}, "credit_guard_hold": {}}}
    assert stream.fields_to_read(with_addon.__getitem__) == ["id", "name", "credit_guard_hold"]
    [(_, [customer])] = stream.map_page([{"id": 7, "name": "Acme"}])
    assert customer["on_hold"] is False


def test_odoo_term_days_come_from_the_due_dates_odoo_computed():
    from creditguard.mappings.converters import CONVERTERS, MapContext
    preview = ('<b>1#</b> Installment of <b>$ 300.00</b> due on <b>11/30/2026</b>'
               '<b>2#</b> Installment of <b>$ 700.00</b> due on <b>01/29/2027</b>')
    assert CONVERTERS["preview_days"](preview, "2026-11-30", ctx=MapContext()) == 60
    assert CONVERTERS["preview_days"]("", "2026-11-30", ctx=MapContext()) == 0
def dated(line, day):
    return dict(line, date=day)


def test_partial_payments_become_the_instalments_history(streams):
    related = dict(INSTALMENTS, payment_lines={12: dated(move_line(12, credit="200"), dt.date(2026, 11, 1))})
    first, second = map_invoices(streams, [invoice_row()], related)["6"]
    assert first["payments"] == [{"date": "2026-11-01", "amount": "200", "kind": "payment"}]
    assert second["payments"] == []          # unpaid: an empty history, residual = total


def test_a_paid_invoice_carries_its_reconciliation_dates(streams):
    related = {"lines_to_pay": {10: move_line(10, debit="500.00", reconciliation=4),
                                11: move_line(11, debit="500.00", reconciliation=5)},
               "reconciliations": {4: {"id": 4, "date": dt.date(2026, 11, 20)}, 5: {"id": 5, "date": None}}}
    [record] = map_invoices(streams, [invoice_row(state="paid", payment_lines=[])], related)["6"]
    assert record["payments"] is None        # a reconciliation without a date: no history rather than a wrong one
    related["reconciliations"][5]["date"] = dt.date(2027, 1, 10)
    [record] = map_invoices(streams, [invoice_row(state="paid", payment_lines=[])], related)["6"]
    assert record["amount_residual"] == "0" and \
        [(p["date"], p["amount"]) for p in record["payments"]] == [("2026-11-20", "500.00"), ("2027-01-10", "500.00")]


def test_a_payment_dated_before_the_invoice_gives_no_history(streams):
    related = dict(INSTALMENTS, payment_lines={12: dated(move_line(12, credit="200"), dt.date(2026, 10, 1))})
    first, _ = map_invoices(streams, [invoice_row()], related)["6"]
    assert first["payments"] is None and first["amount_residual"] == "300.00"


def test_a_customer_field_the_erp_lacks_is_named_with_its_line(tmp_path):
    path = tmp_path / "customers.yaml"
    path.write_text("stream: customers\nmodel: res.partner\ntarget: customer\nreplication_key: write_date\n"
                    "customer_field: commercial.id\nmap:\n  - id -> id | record_id\n  - name -> name\n")
    stream = load_stream(path)
    fields = {"res.partner": {"id": {}, "name": {}, "write_date": {}}}
    assert stream.customer_field == "commercial.id"
    assert stream.missing_fields(fields.__getitem__) == [("res.partner", "commercial", 5)]
