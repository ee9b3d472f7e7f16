"""Errors a user can cause.

Everything the user can get wrong (a campaign key, a list row, a command-line value) is
reported as an :class:`InputError`: one line per problem, naming where it is, what was
expected and what was found. The command line prints the lines and exits with status 2.
"""

from __future__ import annotations


class InputError(Exception):
    """Bad input: one or more one-line problem descriptions."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


def show(value: object, limit: int = 60) -> str:
    """A found value as the user would recognise it in an error line."""
    text = repr(value) if isinstance(value, str) else str(value)
    if isinstance(value, dict):
        text = "a mapping"
    elif isinstance(value, list):
        if not value:
            text = "an empty list"
        else:  # the items as written, so the bad one can be seen
            items = ", ".join(
                "{...}" if isinstance(v, dict) else "[...]" if isinstance(v, list) else show(v, 20)
                for v in value[:8]
            )
            text = f"[{items}{', ...' if len(value) > 8 else ''}]"
    elif value is None:
        text = "nothing (null)"
    return text if len(text) <= limit else text[: limit - 3] + "..."
