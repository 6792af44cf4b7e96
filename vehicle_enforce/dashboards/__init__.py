"""Each department's home page: today's work as counts that open the lists they count, and the
notices inbox (read/unread per person)."""
