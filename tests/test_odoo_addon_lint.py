"""The Odoo add-on is clean under pylint-odoo's Odoo checks (the OCA way: `-d all -e odoolint`)."""
import subprocess
import sys

from tests.conftest import REPO

ADDON = REPO / "addons" / "odoo" / "credit_guard"


def test_credit_guard_addon_has_no_pylint_odoo_messages():
    result = subprocess.run(
        [sys.executable, "-m", "pylint", "--load-plugins=pylint_odoo", "--disable=all",
         "--enable=odoolint", "--score=n", "--valid-odoo-versions=18.0",
         # The authorship check is on; the add-on is ours, not the OCA's (the check's default).
         "--manifest-required-authors=Credit Guard contributors", ADDON.name],
        cwd=ADDON.parent, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout
