"""The clean service: decode, repair and normalize text, tag format and language, drop exact duplicates."""
