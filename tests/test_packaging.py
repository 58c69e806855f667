"""The package installs quietly and with its data: the built-in policy and every ERP's mapping files."""
import subprocess
import sys

from tests.conftest import REPO


def test_pip_install_is_quiet_and_brings_the_yaml_files(tmp_path):
    target = tmp_path / "site"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(REPO)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    output = proc.stdout + proc.stderr
    assert "absent from the `packages` configuration" not in output
    assert (target / "rules" / "policies" / "seed-default.yaml").exists()
    for erp in (REPO / "mappings").iterdir():
        if erp.is_dir() and list(erp.glob("*.yaml")):
            assert {p.name for p in (target / "mappings" / erp.name).glob("*.yaml")} == \
                {p.name for p in erp.glob("*.yaml")}
