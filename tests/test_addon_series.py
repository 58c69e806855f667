"""The credit_guard add-on built for each Odoo series (addons/odoo/series.py): the manifest says the series, the
data files use that series' names and nothing else differs; a change that no longer finds its target stops the
build. The add-on's own tests on a real Odoo of each series are in addons/odoo/credit_guard/tests (README)."""
import ast
import importlib.util
import shutil
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import REPO

SOURCE = REPO / "addons" / "odoo" / "credit_guard"


def _series_module():
    spec = importlib.util.spec_from_file_location("addon_series", REPO / "addons" / "odoo" / "series.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


series = _series_module()


def files(root):
    return {p.relative_to(root): p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def archs(root):
    for path in root.rglob("*.xml"):
        for field in ET.parse(path).getroot().iter("field"):
            yield path, field


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("addons")
    return {name: series.build(name, out) for name in series.SERIES}


@pytest.mark.parametrize("name", list(series.SERIES))
def test_each_series_has_its_manifest_version_and_only_its_data_files_differ(built, name):
    target = built[name]
    manifest = ast.literal_eval((target / "__manifest__.py").read_text())
    source = ast.literal_eval((SOURCE / "__manifest__.py").read_text())
    assert manifest["version"] == name + source["version"][len(series.SOURCE_SERIES):]
    assert {k: v for k, v in manifest.items() if k != "version"} == {k: v for k, v in source.items() if k != "version"}
    ours, theirs = files(target), files(SOURCE)
    assert ours.keys() == theirs.keys()
    changed = {rel for rel in ours if rel.name != "__manifest__.py" and ours[rel].read_bytes() != theirs[rel].read_bytes()}
    assert all(rel.suffix == ".xml" for rel in changed)          # the Python is the same on every series
    for rel in changed:
        assert ours[rel].read_text().startswith(theirs[rel].read_text().split("<odoo", 1)[0])   # licence kept
    assert bool(changed) == bool(series.SERIES[name])


def test_17_has_no_list_view_and_18_has_no_tree(built):
    tags17 = {node.tag for _, field in archs(built["17.0"]) if field.get("name") == "arch" for node in field}
    tags18 = {node.tag for _, field in archs(built["18.0"]) if field.get("name") == "arch" for node in field}
    assert "tree" in tags17 and "list" not in tags17
    assert "list" in tags18 and "tree" not in tags18
    modes17 = [f.text for _, f in archs(built["17.0"]) if f.get("name") == "view_mode"]
    assert modes17 and not [m for m in modes17 if "list" in m.split(",")]


def test_19_puts_the_groups_under_a_privilege_of_the_category(built):
    root = ET.parse(built["19.0"] / "security" / "credit_guard_security.xml").getroot()
    records = {r.get("id"): r for r in root.iter("record")}
    groups = [r for r in records.values() if r.get("model") == "res.groups"]
    assert groups and not [g for g in groups if g.find("field[@name='category_id']") is not None]
    for group in groups:
        privilege = records[group.find("field[@name='privilege_id']").get("ref")]
        assert privilege.get("model") == "res.groups.privilege"
        assert records[privilege.find("field[@name='category_id']").get("ref")].get("model") == "ir.module.category"
        assert list(root).index(privilege) < list(root).index(group)       # defined before it is referred to


def test_a_change_that_finds_nothing_stops_the_build(tmp_path, monkeypatch, capsys):
    source = tmp_path / "src" / "credit_guard"
    shutil.copytree(SOURCE, source)
    for path in source.rglob("*.xml"):                    # a source with no list view left
        path.write_text(path.read_text().replace("<list", "<kanban").replace("</list>", "</kanban>")
                        .replace("list,form", "kanban,form").replace("'view_mode': 'list'", "'view_mode': 'kanban'"))
    monkeypatch.setattr(series, "SOURCE", source)
    with pytest.raises(SystemExit, match="list_to_tree found nothing to change"):
        series.build("17.0", tmp_path / "out")


def test_an_unknown_series_is_refused_with_the_known_ones(tmp_path):
    with pytest.raises(SystemExit, match="17.0, 18.0, 19.0"):
        series.build("16.0", tmp_path)
