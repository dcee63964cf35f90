"""Gallery actions, Qt-free: delete to the trash, re-run, interpolate (the GUI and the CLI share them)."""
