"""Reads that answer from the blacklist and the cases together: the police hotlist.

A hotlist answer joins a vehicle's active entry to its case in one SQL statement per batch. This package
sits above both domains (it imports `blacklist` and `cases`; neither imports it), so the blacklist never
imports cases and the dependency between the two stays one-way (cases → blacklist).
"""
