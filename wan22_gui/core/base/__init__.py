"""The ground floor: errors, signals, paths, settings, logging and resources. Imports nothing else of the app."""
