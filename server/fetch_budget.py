"""How many remote fetches one incoming activity may cause: a hostile activity that points
at a chain of objects, each naming another author or reply, costs at most this many."""

from __future__ import annotations

MAX_FETCHES_PER_ACTIVITY = 20


class FetchBudget:
    """A countdown shared by everything that handles one activity (not thread-safe; one
    activity is handled by one task)."""

    def __init__(self, limit: int = MAX_FETCHES_PER_ACTIVITY) -> None:
        self.limit = limit
        self.spent = 0

    def spend(self) -> bool:
        """Take one fetch; False (and nothing taken) when the budget is used up."""
        if self.spent >= self.limit:
            return False
        self.spent += 1
        return True

    @property
    def exhausted(self) -> bool:
        return self.spent >= self.limit
