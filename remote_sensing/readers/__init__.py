"""Vendor readers by format name: ``open_reader(path, "hj845-csv")`` streams ``(row_number, record | error)``.

A new vendor is one module that defines a :class:`Layout` and registers a reader function.
"""

from remote_sensing.readers import canonical, hj845_csv, vendor_b_xlsx
from remote_sensing.readers.base import (
    Layout,
    LayoutError,
    ReadItem,
    RowError,
    open_reader,
    reader_formats,
    register_reader,
)
from remote_sensing.readers.canonical import parse_canonical

__all__ = [
    "Layout",
    "LayoutError",
    "ReadItem",
    "RowError",
    "canonical",
    "hj845_csv",
    "open_reader",
    "parse_canonical",
    "reader_formats",
    "register_reader",
    "vendor_b_xlsx",
]
