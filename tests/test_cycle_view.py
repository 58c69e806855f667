"""What people see of a cycle: progress only in a terminal, the holds list."""
import io

from creditguard.connector.cli.views.cycle import Progress, write_holds


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_counts_records_on_one_line_per_stream_in_a_terminal():
    out = Terminal()
    progress = Progress(out)
    progress("customers", 1000)
    progress("customers", 1200)
    progress("invoices", 1000)
    progress.done()
    assert out.getvalue() == ("\r  reading customers: 1000 records\r  reading customers: 1200 records\n"
                              "\r  reading invoices: 1000 records\n")


def test_no_progress_when_stderr_is_not_a_terminal():
    out = io.StringIO()
    progress = Progress(out)
    progress("customers", 1000)
    progress.done()
    assert out.getvalue() == ""


def test_holds_list_reasons_and_holds_placed_by_others():
    out = io.StringIO()
    write_holds([{"customer_id": "2", "customer_name": "Acme", "since": "2026-11-27T08:00:00+00:00",
                  "rules": "credit_limit.exceeded", "reason": "Exposure 1,500.00 exceeds credit limit 1,000.00"}],
                [{"id": "9", "name": "Manual Hold Ltd"}], out)
    assert out.getvalue() == (
        "2 Acme: on hold since 2026-11-27T08:00:00+00:00 [credit_limit.exceeded]\n"
        "    Exposure 1,500.00 exceeds credit limit 1,000.00\n"
        "9 Manual Hold Ltd: on hold in the ERP (not placed by Credit Guard)\n"
        "1 hold by Credit Guard\n")


def report(dry_run, done=()):
    import datetime as dt
    from collections import Counter

    from creditguard.connector.cycle.run import CycleReport
    from creditguard.connector.erp.operations import Write
    from creditguard.mappings.vocab import Operation
    hold = Write(key="c/place_hold/2", customer_id="2", customer_name="Acme", operation=Operation.PLACE_HOLD,
                 payload={}, rules="credit_limit.exceeded", reason="Exposure too high")
    note = Write(key="k@d", customer_id="2", customer_name="Acme", operation=Operation.ADD_NOTE, payload={},
                 rules="overdue.flag", reason="Overdue 40 days")
    return CycleReport(cycle_id=3, dry_run=dry_run, as_of=dt.date(2026, 11, 30), read={"customers": 1200},
                       customers=1200, statuses=Counter(hold=1, ok=1199), decisions=Counter(hold=1, flag=1),
                       planned=[hold, note], done=list(done))


def test_a_dry_run_words_its_writes_as_a_real_run_would():
    from creditguard.connector.cli.views.cycle import write_cycle
    out = io.StringIO()
    write_cycle(report(True), out)
    text = out.getvalue()
    assert "would place a hold on 2 Acme [credit_limit.exceeded]: Exposure too high" in text
    assert "place_hold" not in text and "read:      customers 1,200" in text


def test_a_note_that_was_already_there_is_not_a_write_done():
    from creditguard.connector.cli.views.cycle import write_cycle
    from creditguard.connector.erp.operations import Outcome
    planned = report(False).planned
    out = io.StringIO()
    write_cycle(report(False, [(planned[0], Outcome.WRITTEN), (planned[1], Outcome.ALREADY_THERE)]), out)
    text = out.getvalue()
    assert "writes:    1 done, 1 skipped (already done)" in text
    assert "note added (already there) for 2 Acme [overdue.flag]" in text
