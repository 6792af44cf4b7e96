"""The shared joint-enforcement case: environment confirms, police penalise, transport supervises repair."""
