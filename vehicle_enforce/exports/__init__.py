"""Exports to the provincial and national platforms: an outbox written with each record, a sender."""
