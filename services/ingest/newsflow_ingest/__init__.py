"""The ingest service: sources (files and directories today) → raw documents."""
