"""Tests of core.backends: secrets and the shapes the pool builds on."""
