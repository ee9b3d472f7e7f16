"""Treatments: what a call result does to its record (Genesys treatments and treatment
sequences): retry after a while, with an increment at each further retry, up to a count, then
finish the record or move to the chain's next number."""

from __future__ import annotations

from dialer.config import Campaign
from dialer.lists.sources import Record


class Treatments:
    """What a call result does to its record (Genesys treatments and treatment sequences)."""

    def __init__(self, campaign: Campaign):
        self.rules = campaign.treatments
        self.max_attempts = campaign.calling_list.max_attempts

    def decide(self, record: Record, result: str, now: float) -> tuple[float | None, str]:
        """Record the result; (time of the next dial or None when done, what then).

        Consecutive occurrences of one result walk its sequence (retry_after_s, then
        increment_s more each time) up to ``retries``; a different result starts over; the
        list's ``max_attempts`` ends it. A result with no treatment finishes the record.
        """
        if result == record.last_result:
            record.seq += 1
        else:
            record.last_result, record.seq = result, 1
        rule = self.rules.get(result)
        if rule is None:
            return None, "finish"
        if record.seq > rule.retries or record.attempt >= self.max_attempts:
            return None, rule.then
        return now + rule.retry_after_s + (record.seq - 1) * rule.increment_s, rule.then
