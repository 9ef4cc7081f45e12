"""vn-search: full-text search for Vietnamese news."""
