"""Plan item 14: phase-out of China III and older diesel trucks and lean-burn / converted gas vehicles."""
