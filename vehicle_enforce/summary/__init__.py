"""The county's monthly summary (XLSX and PDF with charts): one CLI command and one API download."""
