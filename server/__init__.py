"""The Buurtplein product: HTTP routes, domain, storage, CLI."""
