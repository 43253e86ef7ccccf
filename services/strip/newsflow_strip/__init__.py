"""The strip service: boilerplate removal (trafilatura for HTML, a line scorer for flattened text)."""
