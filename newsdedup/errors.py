"""Exceptions raised by the library; the CLI turns them into one-line messages."""

from __future__ import annotations


class NewsdedupError(Exception):
    """Base class of every error the library raises on purpose."""

    exit_code = 1


class UsageError(NewsdedupError):
    """The caller asked for something that cannot be done (bad option value, bad pattern)."""

    exit_code = 2


class SettingError(UsageError):
    """A setting has a value it cannot take. ``setting`` names the :class:`Settings` field (the
    CLI names its option instead), ``problem`` says what is wrong."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting} {problem}")
        self.setting = setting
        self.problem = problem


class InputError(NewsdedupError):
    """One input file cannot be used; the run goes on without it.

    ``path`` names the file, ``reason`` says what is wrong in a few words.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class NotAnArticle(InputError):
    """A file that is not an article by its content (a JSON document with no article in it)."""


class NoInputError(NewsdedupError):
    """Nothing usable was found under the given paths."""


class SchedulerError(NewsdedupError):
    """The Dask scheduler (--scheduler) cannot be reached, or the run on its cluster failed."""
