"""Wan 2.2 Studio: a desktop app for Wan 2.2 14B image-to-video on a local ComfyUI."""

__version__ = "0.1.0"
APP_NAME = "Wan 2.2 Studio"
