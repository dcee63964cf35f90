"""Entry point for PyInstaller and for `python main.py`: opens the Wan 2.2 Studio window."""

import sys

from wan22_gui.gui.app import main

if __name__ == "__main__":
    sys.exit(main())
