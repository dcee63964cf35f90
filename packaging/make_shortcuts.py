"""Write the desktop shortcuts into a built app folder (run by build_installer.spec).

    python packaging/make_shortcuts.py --dist dist/wan22-studio --version 0.1.0

Linux: `wan22-studio.desktop` (double-click it, or copy it to ~/.local/share/applications).
Windows: `Wan 2.2 Studio.lnk` (made through PowerShell) and `Wan 2.2 Studio.url`.
The shortcuts hold absolute paths; after moving the folder, run the app once with
`--install-shortcut` to put a fresh one into the menu.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the build runs this from a checkout, not an installed package

from wan22_gui.core import shortcuts  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, required=True, help="the built app folder")
    parser.add_argument("--version", required=True)
    parser.add_argument("--platform", default=sys.platform, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    dist = args.dist.resolve()
    if not dist.is_dir():
        print(f"make_shortcuts: {dist} is not a folder; build the app first", file=sys.stderr)
        return 1
    if args.platform == "win32":
        exe = dist / f"{shortcuts.APP_ID}.exe"
        written = shortcuts.write_windows_shortcuts(dist, exe, on_windows=sys.platform == "win32")
    elif args.platform == "darwin":
        written = []
    else:
        exe = dist / shortcuts.APP_ID
        written = [shortcuts.write_linux_entry(dist, exe, shortcuts.bundled_icon(exe), args.version)]
    for path in written:
        print(f"make_shortcuts: wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
