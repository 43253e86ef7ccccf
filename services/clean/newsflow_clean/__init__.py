"""The clean service: decode, repair and normalize text, tag its format and language (duplicates
are found after stripping, by strip's dedup)."""
