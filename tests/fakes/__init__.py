"""Stand-ins for the real parts (ComfyUI server, NVML) used by the tests."""
