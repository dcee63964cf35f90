"""Finding, launching, watching and stopping a local ComfyUI process."""
