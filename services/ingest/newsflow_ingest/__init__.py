"""The ingest service: sources (files, JSON records, WARC archives, URL lists, web pages, feeds,
sitemaps; pushed documents through the push API) → raw documents."""
