"""Wan 2.2 workflows: building, importing, validating, and the frame/duration calculator."""
