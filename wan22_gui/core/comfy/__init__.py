"""Talking to a ComfyUI server: HTTP client, WebSocket events, following a prompt to its end."""
