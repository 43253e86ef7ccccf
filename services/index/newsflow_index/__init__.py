"""The index service: idempotent upsert into the full-text index, plus the Redis document cache."""
