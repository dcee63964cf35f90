"""`python -m wan22_gui` opens the window; `python -m wan22_gui <command>` runs the CLI."""

import sys


def _main() -> int:
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        from wan22_gui.cli.main import main as cli_main

        return cli_main()
    from wan22_gui.gui.app import main as gui_main

    return gui_main()


if __name__ == "__main__":
    sys.exit(_main())
