"""Benchmark matrices, the max-frames search and the CSV/HTML report."""
