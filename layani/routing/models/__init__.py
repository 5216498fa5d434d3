"""Routing models, one module per concern; each module's names are re-exported here."""
