"""The high-emitter blacklist (listing rule, manual listing and release); the hotlist lives in `enforcement`."""
