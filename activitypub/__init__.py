"""Buurtplein protocol core: pure ActivityPub, no I/O."""
