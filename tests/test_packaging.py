"""The package installs quietly, under one name, with its data: the built-in policy and every ERP's mapping files."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PRODUCT = ("connector", "rules", "mappings")
HARNESSES = {"connector/testing"}       # the tests', benches' and demo's: not installed


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    # from a copy of the checkout's files, as a clean clone has them: setuptools reuses a build/ folder, and one
    # left by an older layout would put its packages in the wheel
    source, target = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("site")
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.splitlines()
    for name in files:
        if (REPO / name).is_file() and name.split("/")[0] in (*PRODUCT, "setup.cfg", "pyproject.toml", "README.md"):
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(source)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return target, proc.stdout + proc.stderr


def test_pip_install_is_quiet_and_brings_the_yaml_files(installed):
    target, output = installed
    assert "absent from the `packages` configuration" not in output
    assert (target / "creditguard" / "rules" / "policies" / "seed-default.yaml").exists()
    for erp in (REPO / "mappings").iterdir():
        if erp.is_dir() and list(erp.glob("*.yaml")):
            assert {p.name for p in (target / "creditguard" / "mappings" / erp.name).glob("*.yaml")} == \
                {p.name for p in erp.glob("*.yaml")}


def test_the_product_installs_under_one_name_and_every_folder_of_it_with_it(installed):
    target, _ = installed
    # nothing named connector, rules or mappings at the top of site-packages, where another package may be
    assert {p.name for p in target.iterdir() if not p.name.endswith(".dist-info")} - {"bin"} == {"creditguard"}
    for top in PRODUCT:
        for folder in [REPO / top, *(REPO / top).rglob("*")]:
            rel = folder.relative_to(REPO).as_posix()
            if not folder.is_dir() or folder.name == "__pycache__" or any(rel.startswith(h) for h in HARNESSES):
                continue
            files = {p.name for p in folder.iterdir() if p.suffix in (".py", ".yaml")}
            assert files <= {p.name for p in (target / "creditguard" / rel).glob("*")}, \
                f"{rel}/ is not installed: list creditguard.{rel.replace('/', '.')} in setup.cfg's packages"
    for harness in HARNESSES:
        assert not (target / "creditguard" / harness).exists()


def test_the_console_script_runs_the_installed_package(tmp_path):
    proc = subprocess.run([str(Path(sys.executable).parent / "creditguard"), "evaluate", "--snapshot",
                           str(REPO / "examples" / "snapshot.json"), "--format", "json"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert '"status"' in proc.stdout
