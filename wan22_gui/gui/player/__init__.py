"""The frame-synchronised player: canvas, clock, controls and the compare view."""
