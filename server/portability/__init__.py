"""Moving a neighbourhood or a resident to another host: archives, import, Move (docs/portability.md)."""
