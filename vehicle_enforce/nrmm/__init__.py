"""Non-road mobile machinery: registration codes, sites and zones, monthly sampling, spot checks."""
