"""Frame interpolation: RIFE/FILM through ComfyUI and a built-in optical-flow engine."""
