"""The Odoo add-on, as built for each series (addons/odoo/series.py), is clean under pylint-odoo's Odoo checks
for that series (the OCA way: `-d all -e odoolint`)."""
import subprocess
import sys

import pytest

from tests.test_addon_series import series


@pytest.mark.parametrize("name", list(series.SERIES))
def test_credit_guard_addon_has_no_pylint_odoo_messages(tmp_path, name):
    addon = series.build(name, tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "pylint", "--load-plugins=pylint_odoo", "--disable=all",
         "--enable=odoolint", "--score=n", f"--valid-odoo-versions={name}",
         # The authorship check is on; the add-on is ours, not the OCA's (the check's default).
         "--manifest-required-authors=Credit Guard contributors",
         # One Python source serves every series: it translates with odoo._, since 17.0 has no env._.
         "--disable=prefer-env-translation", addon.name],
        cwd=addon.parent, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout
