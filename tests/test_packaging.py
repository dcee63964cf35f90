"""The package list in pyproject.toml must name every package, or an installed build breaks."""

from __future__ import annotations

from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "wan22_gui").rglob("__init__.py")
    }
    missing = found - listed
    assert not missing, f"add these to [tool.setuptools] packages: {sorted(missing)}"
    assert "wan22_gui.resources" in listed


def test_resources_are_found(app_paths):
    from wan22_gui.core.base.resources import resource_path

    assert resource_path().is_dir()
    assert (resource_path() / "__init__.py").is_file()
