"""The arrows of docs/architecture.md, held: connector -> rules -> mappings, analytics never imports connector,
the rooms of connector/ point one way, nothing in the product imports the test harnesses, and every import names
the one installed package (`creditguard.`), never a bare `connector` or `rules`."""
import ast
import functools

import pytest

from tests.conftest import REPO

LAYERS = ("connector", "rules", "mappings")


@functools.cache
def imports():
    """(file, importing module, imported module) for every absolute import in the product, at any depth."""
    return tuple(_imports())


def _imports():
    for top in LAYERS:
        for path in sorted((REPO / top).rglob("*.py")):
            rel = path.relative_to(REPO).with_suffix("")
            module = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.ImportFrom):
                    assert node.level == 0, f"{path}:{node.lineno}: a relative import; name creditguard.…"
                    names = [node.module]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                else:
                    continue
                for name in names:
                    yield f"{rel}.py:{node.lineno}", module, name


def within(module, *rooms):
    return any(module == room or module.startswith(room + ".") for room in rooms)


def test_every_import_of_the_product_names_the_installed_package():
    bare = [where for where, _, name in imports() if name.split(".")[0] in LAYERS]
    assert not bare, f"import creditguard.<layer>…, not the repository's folder: {bare}"


@pytest.mark.parametrize("importer, forbidden", [
    ("mappings", ("creditguard.rules", "creditguard.connector")),
    ("rules", ("creditguard.connector",)),
    ("rules.analytics", ("creditguard.connector",)),
    ("connector.erp", ("creditguard.connector.cycle", "creditguard.connector.cli")),
    ("connector.insurer", ("creditguard.connector.cycle", "creditguard.connector.cli")),
    ("connector.cycle", ("creditguard.connector.cli",)),
    ("connector.cli.views", ("creditguard.connector.cycle", "creditguard.connector.cli.main",
                             "creditguard.connector.cli.insurer", "creditguard.connector.cli.analytics")),
])
def test_the_arrows_point_one_way(importer, forbidden):
    wrong = [(where, name) for where, module, name in imports()
             if within(module, importer) and within(name, *forbidden)]
    assert not wrong, f"{importer} must not import {forbidden}: {wrong}"


def test_only_the_commands_use_the_views_and_nothing_in_the_product_uses_the_harnesses():
    views = [(where, name) for where, module, name in imports()
             if within(name, "creditguard.connector.cli.views") and not within(module, "connector.cli")]
    harnesses = [(where, name) for where, module, name in imports()
                 if within(name, "creditguard.connector.testing") and not within(module, "connector.testing")]
    assert not views and not harnesses, (views, harnesses)
