"""What people see of a cycle: progress only in a terminal, the holds list."""
import io

from connector.cycle_view import Progress, write_holds


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
