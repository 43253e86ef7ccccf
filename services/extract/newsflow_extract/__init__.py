"""The extract service: title, dates, outlet, language, named entities and quotes."""
