"""Tables and database sessions."""
