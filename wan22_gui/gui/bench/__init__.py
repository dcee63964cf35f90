"""The Benchmark tab: the spec editor and form, and the results table."""
