"""Layani: customer service for Indonesian businesses, in branches and on every channel."""

__version__ = "0.1.0"
