"""What a person sees of `evaluate` in a terminal: the width, wide characters, no control characters, counts
with separators, held customers first, colour only where it is welcome."""
import os
import pty
import subprocess

from creditguard.connector.cli.views import terminal
from tests.conftest import CLI, REPO, invoice, make_snapshot, run_cli

CUSTOMERS = [
    {"id": "1", "name": "Quiet Ltd", "credit_limit": "1000"},
    {"id": "2", "name": "株式会社山田商事", "credit_limit": "100"},                      # held, wide characters
    {"id": "3", "name": "Evil\x1b[31mRED\x1b[0m\nSplit Co", "credit_limit": "1000"},  # flagged, control characters
]
INVOICES = [invoice(1, "2", "500", "2026-11-20"), invoice(2, "3", "950", "2026-11-20")]


def snapshot(write_json, customers=CUSTOMERS, invoices=INVOICES):
    return write_json(make_snapshot(customers, invoices))


def rows(out):
    return [line for line in out.splitlines() if (line[:1].isdigit() or line.startswith(" "))
            and "customers:" not in line]


def test_the_table_fits_the_width_in_columns(write_json):
    out = run_cli("evaluate", "--snapshot", snapshot(write_json), env={"COLUMNS": "60"}, check=0).stdout
    assert max(terminal.width(line) for line in out.splitlines()) <= 60
    assert "Exposure 500.00 exceeds credit limit 100.00" in " ".join(out.split())


def test_without_a_terminal_each_reason_stays_on_one_line(write_json):
    out = run_cli("evaluate", "--snapshot", snapshot(write_json), check=0).stdout
    assert any("Exposure 500.00 exceeds credit limit 100.00 [credit_limit.exceeded]" in line for line in out.splitlines())


def test_wide_characters_keep_the_columns_aligned(write_json):
    out = run_cli("evaluate", "--snapshot", snapshot(write_json), check=0).stdout
    for line in rows(out):
        if not line.startswith(" "):
            status_column = terminal.width(line[:line.index(next(m for m in ("HOLD", "flag", "ok ") if m in line))])
            assert status_column == 29, line


def test_control_characters_in_names_never_reach_the_terminal(write_json):
    out = run_cli("evaluate", "--snapshot", snapshot(write_json), check=0).stdout
    assert "\x1b" not in out
    assert "3 Evil\\x1b[31mRED\\x1b[0m" in out             # one row, escaped, still recognisable
    assert not any(line.startswith("Split") for line in out.splitlines())


def test_held_customers_come_first_then_flagged_then_ok(write_json):
    out = run_cli("evaluate", "--snapshot", snapshot(write_json), check=0).stdout
    order = [line.split()[0] for line in rows(out) if not line.startswith(" ")]
    assert order == ["2", "3", "1"]


def test_counts_have_thousands_separators(write_json):
    customers = [{"id": str(i), "name": f"Customer {i}"} for i in range(1200)]
    out = run_cli("evaluate", "--snapshot", snapshot(write_json, customers, []), check=0).stdout
    assert "1,200 customers: 0 on hold, 0 flagged, 1,200 ok" in out


def in_a_terminal(args, env):
    """Run the command line with its stdout on a pseudo-terminal; what it printed."""
    main, child = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS")}
    proc = subprocess.Popen([*CLI, *map(str, args)], cwd=REPO, stdout=child,
                            stderr=subprocess.DEVNULL, env={**environ, **env})
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(60)
    os.close(main)
    return b"".join(chunks).decode()


def test_colour_only_on_a_terminal_and_never_with_no_color(write_json):
    path = snapshot(write_json)
    assert "\x1b[31mHOLD" in in_a_terminal(["evaluate", "--snapshot", path], {})
    assert "\x1b[" not in in_a_terminal(["evaluate", "--snapshot", path], {"NO_COLOR": "1"})
    assert "\x1b[" not in run_cli("evaluate", "--snapshot", path, check=0).stdout
