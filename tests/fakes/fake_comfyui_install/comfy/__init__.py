"""Placeholder: the finder only checks that a ComfyUI tree looks like one."""
