"""Artist Listener Insights: listener features, similar artists and market opportunities."""

__version__ = "0.1.0"
