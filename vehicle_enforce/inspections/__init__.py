"""Stations and devices, remote-sensing passes, roadside and spot tests."""
