"""The Gallery tab: the grid of clips, filters, details and interpolation of a chosen clip."""
