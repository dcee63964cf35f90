"""The ComfyUI dock: install, GPUs, preset, doctor, start/stop/attach, console, crash banner."""
