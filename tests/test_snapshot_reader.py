"""Snapshot files of any layout read the same, in pieces or whole; errors name the record."""
import json

import pytest

import creditguard.mappings.scan as scan_module
from creditguard.mappings.errors import SnapshotError
from creditguard.mappings.snapshot import load_snapshot, open_snapshot, parse_whole
from creditguard.rules.facts import compute_facts
from tests.conftest import EXAMPLE, invoice, make_snapshot


@pytest.fixture
def small_pieces(monkeypatch):
    """Pieces of a few hundred bytes, so that small files are cut many times."""
    monkeypatch.setattr(scan_module, "CHUNK_BYTES", 300)


def many_invoices(n=40, **extra):
    customers = [{"id": f"c{i}", "name": f"Customer {i}", "credit_limit": "1000"} for i in range(5)]
    invoices = [invoice(i, customer_id=f"c{i % 5}", residual=f"{i}.25", due="2026-10-0" + str(1 + i % 9),
                        **extra) for i in range(n)]
    return make_snapshot(customers, invoices, [])


@pytest.mark.parametrize("indent", [None, 2])
def test_pieces_and_whole_give_the_same_snapshot_and_facts(write_json, small_pieces, indent):
    doc = many_invoices()
    path = write_json(json.dumps(doc, indent=indent))
    source = open_snapshot(path)
    assert len(source.chunks("invoices")) > 5
    expected = parse_whole(path.read_bytes(), str(path))
    assert compute_facts(source) == compute_facts(expected)
    assert [i.id for i in load_snapshot(path).invoices] == [str(i) for i in range(40)]


def test_record_lists_may_come_in_any_order(write_json, small_pieces):
    doc = many_invoices()
    reordered = {"invoices": doc["invoices"], "orders": [], "format": doc["format"], "as_of": doc["as_of"],
                 "customers": doc["customers"], "company": doc["company"], "fx_rates": doc["fx_rates"]}
    path = write_json(reordered)
    assert compute_facts(open_snapshot(path)) == compute_facts(load_snapshot(write_json(doc, "plain.json")))


def test_a_record_separator_inside_a_text_is_read_correctly(write_json, small_pieces):
    doc = many_invoices(number='odd "}, {" number')
    path = write_json(doc)
    assert [i.number for i in load_snapshot(path).invoices][:2] == ['odd "}, {" number'] * 2
    assert compute_facts(open_snapshot(path)) == compute_facts(parse_whole(path.read_bytes(), ""))


def test_a_duplicate_id_in_another_piece_is_found(write_json, small_pieces):
    doc = many_invoices()
    doc["invoices"][35]["id"] = "2"
    with pytest.raises(SnapshotError, match=r"invoices\[id=2\]\.id: duplicate invoice id"):
        compute_facts(open_snapshot(write_json(doc)))


def test_a_bad_field_deep_in_the_file_names_its_record(write_json, small_pieces):
    doc = many_invoices()
    doc["invoices"][33]["due_date"] = "soon"
    with pytest.raises(SnapshotError, match=r"invoices\[id=33\]\.due_date"):
        compute_facts(open_snapshot(write_json(doc)))


def test_the_example_reads_the_same_in_pieces(small_pieces):
    assert compute_facts(open_snapshot(EXAMPLE)) == compute_facts(parse_whole(EXAMPLE.read_bytes(),
                                                                                              ""))


def test_evaluate_with_several_processes_prints_the_same_as_with_one(tmp_path):
    from tests.conftest import run_cli
    one = run_cli("evaluate", "--snapshot", EXAMPLE, "--format", "json", "--jobs", "1", check=0).stdout
    two = run_cli("evaluate", "--snapshot", EXAMPLE, "--format", "json", "--jobs", "2", check=0).stdout
    table = run_cli("evaluate", "--snapshot", EXAMPLE, "--jobs", "3", check=0).stdout
    assert one == two and "10 customers: 4 on hold, 4 flagged, 2 ok" in table
