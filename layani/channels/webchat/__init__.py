"""The web chat widget: one script tag on a business's site, answered from the inbox."""
