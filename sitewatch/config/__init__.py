"""Configuration: strict YAML (and CSV for sites) → frozen ``Config``."""
