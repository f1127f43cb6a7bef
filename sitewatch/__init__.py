"""sitewatch: telecom site continuity monitoring."""

__version__ = "0.1.0"
__all__ = ["__version__"]
