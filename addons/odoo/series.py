"""The credit_guard add-on for each Odoo series, from its one source (addons/odoo/credit_guard, written for 18.0).

    python addons/odoo/series.py 17.0 [--out build/addons]      -> build/addons/17.0/credit_guard
    python addons/odoo/series.py all                             -> every series in SERIES

What differs between the series is listed in SERIES below, one named change each, and nothing else: the
copy is the source with its manifest's version stamped with the series ("17.0.1.3.0", as Odoo and whool
expect), and each change of its series applied to the data files (XML, by element, never by text). Python
code that differs reads the running series itself (credit_guard/models/series.py). A change that finds
nothing to change is an error: the source moved, and the change must move with it.

Only the standard library; no Odoo needed. tests/test_addon_series.py builds every series and checks it.
"""
from __future__ import annotations

import argparse
import ast
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "credit_guard"
SOURCE_SERIES = "18.0"


def list_to_tree(root) -> int:
    """17.0 knows the list view as `tree` (18.0 renamed it `list`): the view's root element and the view
    modes of window actions."""
    changed = 0
    for arch in root.iter("field"):
        if arch.get("name") == "arch":
            for node in arch.iter("list"):
                node.tag = "tree"
                changed += 1
        elif arch.get("name") == "view_mode" and arch.text and "list" in arch.text.split(","):
            arch.text = ",".join("tree" if mode == "list" else mode for mode in arch.text.split(","))
            changed += 1
        elif arch.get("name") == "view_ids" and arch.get("eval") and "'view_mode': 'list'" in arch.get("eval"):
            arch.set("eval", arch.get("eval").replace("'view_mode': 'list'", "'view_mode': 'tree'"))
            changed += 1
    return changed


def category_to_privilege(root) -> int:
    """19.0 groups a module's groups under a privilege (res.groups.privilege, itself in the category):
    each category the groups name gets a privilege of the same name, and the groups point to it."""
    categories = {r.get("id"): r for r in root.iter("record") if r.get("model") == "ir.module.category"}
    privileges, changed = {}, 0
    for record in list(root.iter("record")):
        if record.get("model") != "res.groups":
            continue
        for field in record.iter("field"):
            if field.get("name") == "category_id" and field.get("ref") in categories:
                category = field.get("ref")
                privileges.setdefault(category, f"privilege_{category.removeprefix('module_category_')}")
                field.set("name", "privilege_id")
                field.set("ref", privileges[category])
                changed += 1
    for category, privilege in privileges.items():
        position = list(root).index(categories[category]) + 1
        record = ET.Element("record", {"id": privilege, "model": "res.groups.privilege"})
        name = categories[category].find("field[@name='name']")
        ET.SubElement(record, "field", {"name": "name"}).text = name.text if name is not None else category
        ET.SubElement(record, "field", {"name": "category_id", "ref": category})
        record.text, record[0].tail, record[1].tail = "\n        ", "\n        ", "\n    "
        record.tail = "\n    "
        root.insert(position, record)
    return changed


# series -> the changes from the source (18.0) to it, each applied to every data file that has what it changes
SERIES = {
    "17.0": [list_to_tree],
    "18.0": [],
    "19.0": [category_to_privilege],
}


def build(series: str, out: Path) -> Path:
    if series not in SERIES:
        raise SystemExit(f"series {series!r}: the add-on is built for {', '.join(SERIES)}")
    target = out / series / SOURCE.name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(SOURCE, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    _stamp(target / "__manifest__.py", series)
    done = {change.__name__: 0 for change in SERIES[series]}
    for path in sorted(target.rglob("*.xml")):
        text = path.read_text(encoding="utf-8")
        root = ET.fromstring(text, ET.XMLParser(target=ET.TreeBuilder(insert_comments=True)))
        changed = {change.__name__: change(root) for change in SERIES[series]}
        if any(changed.values()):            # the declaration and the licence comment before the root kept
            path.write_text(text[:text.index(f"<{root.tag}")] + ET.tostring(root, encoding="unicode") + "\n",
                            encoding="utf-8")
        for name, count in changed.items():
            done[name] += count
    idle = [name for name, count in done.items() if not count]
    if idle:
        raise SystemExit(f"{series}: the change(s) {', '.join(idle)} found nothing to change in {SOURCE}: "
                         "the source moved; update addons/odoo/series.py")
    return target


def _stamp(manifest: Path, series: str) -> None:
    text = manifest.read_text(encoding="utf-8")
    version = ast.literal_eval(text)["version"]
    if not version.startswith(SOURCE_SERIES + "."):
        raise SystemExit(f"{manifest}: version {version!r} must start with the source series {SOURCE_SERIES}")
    stamped = series + version[len(SOURCE_SERIES):]
    text, count = re.subn(r'("version"\s*:\s*")' + re.escape(version) + '"', rf'\g<1>{stamped}"', text)
    if count != 1:
        raise SystemExit(f"{manifest}: cannot find its version to stamp")
    manifest.write_text(text, encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Build the credit_guard add-on for an Odoo series.")
    parser.add_argument("series", help=f"{', '.join(SERIES)} or all")
    parser.add_argument("--out", type=Path, default=HERE.parents[1] / "build" / "addons",
                        help="where SERIES/credit_guard is written (default: build/addons)")
    args = parser.parse_args(argv)
    for series in SERIES if args.series == "all" else [args.series]:
        print(build(series, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
