"""The user documentation stays true to the code: every crash class, preset and CSV column the
code knows is documented, links between the docs resolve, and every picture they show exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
GUIDES = ["USER_GUIDE.md", "OPTIMIZATION_GUIDE.md", "TWO_PASS_WORKFLOW.md", "BENCHMARKS.md",
          "TROUBLESHOOTING.md", "DOCKER.md"]


def read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def test_troubleshooting_covers_every_crash_class():
    from wan22_gui.core.server import crash

    kinds = set(re.findall(r"\b([a-z_]+)\b", crash.CrashReport.__doc__.split("kind:")[1]
                           .split("sentence:")[0])) - {"or"}
    assert {"oom", "channels_last", "missing_attention_package", "port_in_use"} <= kinds
    text = read("TROUBLESHOOTING.md")
    missing = [kind for kind in kinds if f"`{kind}`" not in text]
    assert not missing, f"crash classes not in TROUBLESHOOTING.md: {missing}"


def test_optimization_guide_names_every_preset_and_its_flags():
    presets = json.loads((ROOT / "resources" / "presets.json").read_text(encoding="utf-8"))
    text = read("OPTIMIZATION_GUIDE.md")
    for preset in presets["presets"]:
        assert f"`{preset['name']}`" in text, preset["name"]
        for arg in preset["args"]:
            assert f"`{arg['flag']}" in text, (preset["name"], arg["flag"])
        for name in preset["env"]:
            assert name in text, (preset["name"], name)


def test_benchmarks_doc_lists_every_csv_column_as_the_code_describes_it():
    from wan22_gui.core.bench.csv_out import column_doc

    text = read("BENCHMARKS.md")
    documented = re.findall(r"^\| `([a-z_0-9]+)` \| (.*) \|$", text, re.MULTILINE)
    assert documented == column_doc(), "copy the table from csv_out.column_doc() again"


@pytest.mark.parametrize("name", GUIDES + ["../README.md"])
def test_links_and_pictures_resolve(name):
    path = (DOCS / name).resolve()
    text = path.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if target.startswith(("http://", "https://")):
            continue
        assert (path.parent / target).exists(), f"{name} links to missing {target}"


def test_pictures_are_small_pngs():
    for name in GUIDES:
        for target in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", read(name)):
            picture = DOCS / target
            assert picture.suffix == ".png" and picture.stat().st_size <= 320_000, target


def test_the_guide_lists_every_keyboard_shortcut():
    from wan22_gui.core.keyboard import SHORTCUTS

    guide = read("USER_GUIDE.md")
    for shortcut in SHORTCUTS:
        assert f"| {shortcut.display} | {shortcut.what} |" in guide, shortcut.name
