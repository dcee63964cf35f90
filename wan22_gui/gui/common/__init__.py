"""Small widgets and helpers every panel shares (elided status labels, the wheel guard)."""
