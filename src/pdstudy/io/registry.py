"""One registry type for the file formats of every data kind.

Each data kind (plates today; chromatograms, videos, event logs next) keeps one
:class:`FormatRegistry` instance in its front-door module, which registers the
:class:`Format` objects its reader modules define. The kind's front door (``read_plate(path)``...) reads
the head of the file and asks :meth:`FormatRegistry.sniff` which format it is:
the sniffers are asked in order of ``priority`` (most specific first), and a
sniffer claims a file only when its structure is unmistakable, so that a file
is never read by the wrong reader. ``format=`` names skip the sniffing through
:meth:`FormatRegistry.get`.

A format is

- ``name`` and ``description`` (listed by :meth:`FormatRegistry.table`);
- ``extensions``: the usual file-name endings (``".csv"``, ``".cdf"``). They
  are listed for the user; dispatch is on content, not on the name;
- ``sniff(path, head) -> bool``: whether the file is of this format, from its
  head (whatever the kind's front door reads: the first text lines for text
  formats). A sniffer that raises ``ValueError``, ``IndexError`` or
  :class:`~pdstudy.errors.InputFileError` while looking is taken as "no";
- ``read(path, **options)``: the reader, returning the kind's tidy table;
- ``writers``: write-format name -> writer, for the formats pdstudy also
  writes (several names when one read format has variants, such as
  ``long_csv``/``long_xlsx``; :attr:`Format.write` is the writer when there is
  one only);
- ``priority``: the sniffing order (lower first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from pdstudy.errors import InputFileError, UnknownFormatError, UsageError

__all__ = ["Format", "FormatRegistry", "Reader", "Sniffer", "Writer"]

#: sniff(path, head) -> whether the file is of the format
Sniffer = Callable[[Path, Any], bool]
#: read(path, **options) -> the kind's tidy table
Reader = Callable[..., Any]
#: write(table, path, ...) -> None
Writer = Callable[..., None]


@dataclass(frozen=True)
class Format:
    """One file format pdstudy reads (and possibly writes) for one data kind."""

    name: str
    description: str
    sniff: Sniffer
    read: Reader
    extensions: tuple[str, ...] = ()
    priority: int = 100
    #: write-format name -> writer
    writers: Mapping[str, Writer] = field(default_factory=dict)
    #: reader options beyond ``sheet`` that the format takes (e.g. ``("cycle",)``)
    options: tuple[str, ...] = ()

    @property
    def write(self) -> Writer | None:
        """The writer of the format when it has exactly one, else None."""
        if len(self.writers) == 1:
            return next(iter(self.writers.values()))
        return None

    def sniffs(self, path: Path, head: Any) -> bool:
        """Whether :attr:`sniff` claims the file (a sniffer that fails while looking: no)."""
        try:
            return bool(self.sniff(path, head))
        except (ValueError, IndexError, InputFileError):
            return False


class FormatRegistry:
    """The formats of one data kind, with sniff dispatch.

    Parameters
    ----------
    kind
        The data kind in messages: ``"plate"`` gives "unknown plate format"
        and "not a plate file pdstudy recognises".
    hint
        Advice appended to the message of an unrecognised file, e.g.
        ``"pass format= to force one; see list_plate_formats()"``.
    """

    def __init__(self, kind: str, *, hint: str = "") -> None:
        self.kind = kind
        self.hint = hint
        self._formats: dict[str, Format] = {}

    # --- registration and look-up ---------------------------------------------------

    def register(self, fmt: Format) -> Format:
        """Add a format; read and write names are unique within the registry."""
        if fmt.name in self._formats:
            raise ValueError(f"{self.kind} format {fmt.name!r} is registered twice")
        taken = self.write_names()
        clash = [w for w in fmt.writers if w in taken]
        if clash:
            raise ValueError(f"{self.kind} write format {clash[0]!r} is registered twice")
        self._formats[fmt.name] = fmt
        return fmt

    def formats(self) -> list[Format]:
        """The formats in sniffing order (priority, then registration)."""
        return sorted(self._formats.values(), key=lambda f: f.priority)

    def names(self) -> list[str]:
        """Read-format names in sniffing order."""
        return [f.name for f in self.formats()]

    def write_names(self) -> list[str]:
        """Write-format names, in the sniffing order of their formats."""
        return [w for f in self.formats() for w in f.writers]

    def __contains__(self, name: object) -> bool:
        return name in self._formats

    def __getitem__(self, name: str) -> Format:
        return self._formats[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._formats)

    def get(self, name: str) -> Format:
        """The format of a read name, or the format that writes a write name.

        Raises :class:`~pdstudy.errors.UsageError` (a ``ValueError``) naming the
        known formats when ``name`` is neither.
        """
        if name in self._formats:
            return self._formats[name]
        for fmt in self.formats():
            if name in fmt.writers:
                return fmt
        known = sorted(set(self._formats) | set(self.write_names()))
        raise UsageError(f"unknown {self.kind} format {name!r}; known formats: {', '.join(known)}")

    def writer(self, name: str) -> tuple[Format, Writer]:
        """The format and writer of a write-format name (UsageError if none)."""
        for fmt in self.formats():
            if name in fmt.writers:
                return fmt, fmt.writers[name]
        known = ", ".join(sorted(self.write_names()))
        raise UsageError(f"unknown {self.kind} write format {name!r}; known: {known}")

    # --- dispatch ---------------------------------------------------------------------

    def sniff(self, path: str | PathLike[str], head: Any) -> Format:
        """The first format (by priority) whose sniffer claims the file.

        Raises
        ------
        UnknownFormatError
            No format claims it; the message names the file and lists the
            formats tried.
        """
        p = Path(path)
        for fmt in self.formats():
            if fmt.sniffs(p, head):
                return fmt
        hint = f" ({self.hint})" if self.hint else ""
        raise UnknownFormatError(
            f"not a {self.kind} file pdstudy recognises; formats tried: "
            + ", ".join(self.names())
            + hint,
            p,
        )

    # --- listing ----------------------------------------------------------------------

    def table(self) -> pd.DataFrame:
        """The formats in sniffing order.

        Columns ``name``, ``description``, ``extensions`` and ``writers``
        (the write-format names, comma separated).
        """
        import pandas as pd

        rows = [
            {
                "name": f.name,
                "description": f.description,
                "extensions": ", ".join(f.extensions),
                "writers": ", ".join(f.writers),
            }
            for f in self.formats()
        ]
        return pd.DataFrame(rows, columns=["name", "description", "extensions", "writers"])

    def __repr__(self) -> str:
        return f"FormatRegistry({self.kind!r}, formats={self.names()!r})"
