"""Departments, townships, people, API tokens and the audit log's actors."""
