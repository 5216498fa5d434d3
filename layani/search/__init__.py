"""Full-text search over conversations, messages and customers, good in Indonesian."""
