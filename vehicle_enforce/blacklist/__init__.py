"""The high-emitter blacklist (listing rule, manual listing and release) and the police hotlist."""
