"""One exception hierarchy for pdstudy.

Every user-facing error names the file (when there is one) and the place at
fault: a row, a well, a TOML key, a frame, a variable. Build messages with
:func:`located` so they all read the same way.
"""

from __future__ import annotations

from os import PathLike


def located(message: str, path: str | PathLike[str] | None = None, where: str | None = None) -> str:
    """Return ``"<path>, <where>: <message>"`` with the parts that are known."""
    prefix = ", ".join(str(p) for p in (path, where) if p is not None and str(p) != "")
    return f"{prefix}: {message}" if prefix else message


class PdStudyError(Exception):
    """Base class of every error pdstudy raises on purpose."""

    def __init__(
        self, message: str, path: str | PathLike[str] | None = None, where: str | None = None
    ) -> None:
        self.path = None if path is None else str(path)
        self.where = where
        self.detail = message
        super().__init__(located(message, path, where))


class InputFileError(PdStudyError):
    """A raw-data or layout file is missing, unreadable or malformed."""


class UnknownFormatError(InputFileError):
    """No reader recognises the file's content."""


class LayoutError(InputFileError):
    """A plate layout is inconsistent, or does not match the plate it describes."""


class UnitError(PdStudyError, ValueError):
    """A quantity string has a missing, unknown or wrong-dimension unit."""


class ModelError(PdStudyError, ValueError):
    """A fitting model, its parameters or the options given for it are invalid."""


class UsageError(PdStudyError, ValueError):
    """A bad option value, argument or parameter given by the user (CLI exit code 2)."""


class StoreError(PdStudyError):
    """The results store refused an operation (a write to an immutable row, an outdated schema...)."""


class StudyFileError(PdStudyError):
    """A study file is invalid; ``problems`` holds every (key path, message) found."""

    def __init__(
        self, problems: list[tuple[str, str]], path: str | PathLike[str] | None = None
    ) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {key}: {msg}" for key, msg in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the study file:\n{lines}", path)
