"""The headless `wan22` command line. Each command lives in its own module of this package."""
