"""What people read, in their calendar and (later) their language: the one place dates are formatted."""
