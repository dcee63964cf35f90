"""Data files of Wan 2.2 Studio (presets, icons, stylesheet, examples); no code."""
