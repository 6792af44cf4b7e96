"""Vehicle registry, owners and plate matching (adapts the `plates` library)."""
