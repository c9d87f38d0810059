"""Runner processes: one per model family, speaking NDJSON frames over stdio."""
