"""Rebuild the README's report screenshots: a small synthetic history, each --html report, headless Chromium.

    .venv/bin/python docs/screenshots.py        (needs the Debian package `chromium`)"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
sys.path.insert(0, str(REPO))

from tests import chromium  # noqa: E402

REPORTS = [("kpis", "--snapshot", 1500), ("forecast", "--snapshot", 1150), ("insured", "--snapshot", 1250),
           ("backtest", "--history", 800)]
STRICT = """policy: strict-overdue
version: 1
rules:
  - id: overdue.any_past_15_days
    when: max_days_overdue > 15
    then: {hold: "Invoice {max_days_overdue} days overdue"}
"""


def main() -> int:
    if chromium.binary() is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="cg-shots-") as tmp:
        tmp = Path(tmp)
        snapshot = tmp / "history.json"
        subprocess.run([sys.executable, str(REPO / "bench" / "gen_snapshot.py"), "--customers", "300",
                        "--invoices", "6000", "--seed", "3", "--history", "-o", str(snapshot)], check=True)
        (tmp / "strict.yaml").write_text(STRICT)
        for command, option, height in REPORTS:
            page = tmp / f"{command}.html"
            extra = ["--policy", str(REPO / "rules/policies/seed-default.yaml"), "--policy", str(tmp / "strict.yaml")] \
                if command == "backtest" else []
            subprocess.run([sys.executable, "-m", "creditguard.connector.cli", command, option, str(snapshot), *extra,
                            "--html", str(page)], check=True, cwd=REPO, stdout=subprocess.DEVNULL)
            chromium.screenshot(page, DOCS / f"{command}.png", 1200, height)
            print(f"docs/{command}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
