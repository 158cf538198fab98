"""Talking to other servers: HTTP client, fetch, inbox, delivery. No SQL, no product logic."""
