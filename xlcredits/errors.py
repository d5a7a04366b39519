"""The project's errors: one small hierarchy, messages that name the argument and the fix."""

from __future__ import annotations

from pathlib import Path

__all__ = ["InputError", "ReadError", "UnknownKeyError", "XlcreditsError", "plural", "show"]


class XlcreditsError(Exception):
    """Base of every error xlcredits raises on purpose."""


class InputError(XlcreditsError, ValueError):
    """A bad argument: names the argument, quotes the value, says the fix.

    >>> str(InputError("discount", 25, "is 1 or more", "enter 25% or 0.25"))
    'discount=25 is 1 or more; enter 25% or 0.25'
    """

    def __init__(self, argument: str, value: object, problem: str, fix: str):
        self.argument, self.value, self.problem, self.fix = argument, value, problem, fix
        shown = argument if value is None else f"{argument}={show(value)}"
        super().__init__(f"{shown} {problem}; {fix}")


class UnknownKeyError(InputError, KeyError):
    """A name that is not in a list of valid names (a rate key, an edition)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class ReadError(XlcreditsError):
    """A file that cannot be read, or must not be changed; the message names it and says why."""

    def __init__(self, path, reason: str):
        self.path, self.reason = Path(path), reason
        super().__init__(f"{Path(path).name}: {reason}")


def plural(n: int, noun: str, many: str | None = None) -> str:
    """A count and its noun, singular for one.

    >>> plural(1, "entry", "entries"), plural(3, "entry", "entries"), plural(0, "user")
    ('1 entry', '3 entries', '0 users')
    """
    return f"{n:,} {noun if n == 1 else many or noun + 's'}"


def show(value: object, limit: int = 40) -> str:
    """A short, readable rendering of a bad value for an error message."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar to Python
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        text = str(int(value))
    elif isinstance(value, str):
        text = repr(str(value))
    else:
        text = repr(value) if not hasattr(value, "isoformat") else value.isoformat()[:10]
    return text if len(text) <= limit else text[: limit - 3] + "..."
