"""Several ComfyUI backends behind one queue: specs, persistence, health, scheduling."""
