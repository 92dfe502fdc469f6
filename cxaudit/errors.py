"""One exception family for everything the library reports.

The library never prints and never exits: it raises a :class:`CxauditError`
(or a subclass). Every error carries the file, line and column it is about
(1-based; 0 when not known) and a message written for the person who has to
fix the input. Only the CLI turns errors into text and exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ConfigError",
    "CxauditError",
    "JourneyError",
    "Problem",
    "UsageError",
]


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One problem found in an input file, with where it is.

    ``path`` is the dotted path of the offending node in the document
    (``steps.pay.next.done``); empty for problems about the whole file.
    """

    file: str
    line: int
    column: int
    message: str
    path: str = ""

    @property
    def where(self) -> str:
        """``file:line:col``, or just the file when the position is not known."""
        return f"{self.file}:{self.line}:{self.column}" if self.line else self.file

    def __str__(self) -> str:
        where = self.where
        suffix = f" ({self.path})" if self.path else ""
        return f"{where}: {self.message}{suffix}" if where else f"{self.message}{suffix}"


class CxauditError(Exception):
    """Base of every error cxaudit raises on purpose."""

    def __init__(self, message: str, file: str = "", line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column

    @property
    def problems(self) -> tuple[Problem, ...]:
        """The problems this error stands for, each with its position."""
        return (Problem(self.file, self.line, self.column, self.message),)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        # Errors cross from worker processes: made again from what they were
        # made of (an exception pickles its message alone by default).
        return type(self), (self.message, self.file, self.line, self.column)


class _ManyProblems(CxauditError):
    """An error that carries every problem found in one input, in file order."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        if not problems:
            raise ValueError(f"{type(self).__name__} needs at least one problem")
        ordered = tuple(sorted(problems, key=lambda p: (p.file, p.line, p.column, p.message, p.path)))
        first = ordered[0]
        super().__init__(first.message, first.file, first.line, first.column)
        self._problems = ordered

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self._problems

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return type(self), (self._problems,)


class JourneyError(_ManyProblems):
    """A journey file could not be read: it carries *all* problems found."""


class ConfigError(_ManyProblems):
    """The configuration is wrong: it carries every problem found in it."""

    @classmethod
    def single(cls, message: str, file: str = "", line: int = 0, column: int = 0, path: str = "") -> ConfigError:
        """A configuration error with one problem."""
        return cls([Problem(file, line, column, message, path)])


class UsageError(CxauditError):
    """The command line asks for something that cannot be done."""
