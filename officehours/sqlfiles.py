"""Named SQL queries, kept in ``.sql`` files beside the modules that run them.

Every module of officehours that runs SQL keeps it in a file of the same name beside it
(``booking_web/queries.py`` runs ``booking_web/queries.sql``), one query per
``-- name: <identifier>`` header, and loads it once at import::

    Q = sqlfiles.load(__name__)
    cur.execute(Q.upcoming_calls, {"limit": 200})

A file looks like this (the lines after the header, up to the next header, are the query; the
comment lines right below the header say what it is for, and are not sent)::

    -- name: upcoming_calls
    -- Booked calls that have not ended, soonest first.
    SELECT ... LIMIT %(limit)s

Why our own loader and not a query library such as aiosql: those generate one method per query
that opens its own cursor and shapes the rows their way. Every statement of ours must run on the
cursor ``Database.transaction`` opened (the role, the acting user and the clock are set LOCAL on
it) and callers read rows as psycopg2 returns them, so all we need is the text by name.
"""

from __future__ import annotations

import re
from importlib import resources

_HEADER = re.compile(r"^--\s*name:\s*(?P<name>\S*)\s*$", re.MULTILINE)
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


class QueryFileError(ValueError):
    """A queries file is malformed: a bad or repeated name, or a header with no query."""


class Queries:
    """The queries of one file, as attributes (``Q.name``) or items (``Q["name"]``)."""

    def __init__(self, source: str, texts: dict[str, str]) -> None:
        self._source = source
        self._texts = texts

    def __getattr__(self, name: str) -> str:
        try:
            return self._texts[name]
        except KeyError:
            raise AttributeError(f"{self._source} has no query named {name!r}") from None

    def __getitem__(self, name: str) -> str:
        return self.__getattr__(name)

    def names(self) -> list[str]:
        """The names of the file's queries, in file order."""
        return list(self._texts)

    @property
    def source(self) -> str:
        """Where the queries came from (package and file), for messages."""
        return self._source


def parse(text: str, source: str = "<string>") -> Queries:
    """The named queries in ``text``; raises QueryFileError when it is malformed."""
    headers = list(_HEADER.finditer(text))
    texts: dict[str, str] = {}
    for i, header in enumerate(headers):
        name = header["name"]
        end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
        # The comment lines right below the header describe the query; they stay in the file
        # (a "%" in them would otherwise reach the driver as a parameter marker).
        lines = text[header.end() : end].strip().splitlines()
        while lines and lines[0].lstrip().startswith("--"):
            lines.pop(0)
        body = "\n".join(lines).strip().removesuffix(";").rstrip()
        if not _IDENTIFIER.fullmatch(name):
            raise QueryFileError(f"{source}: {name!r} is not a query name (a-z, 0-9 and _)")
        if name in texts:
            raise QueryFileError(f"{source}: the query {name!r} is defined twice")
        if not body:
            raise QueryFileError(f"{source}: the query {name!r} has no SQL")
        texts[name] = body + "\n"
    return Queries(source, texts)


def load(module: str) -> Queries:
    """The named queries of a module (its ``__name__``): the ``.sql`` file of its name beside it."""
    package, _, name = module.rpartition(".")
    text = (resources.files(package) / f"{name}.sql").read_text("utf-8")
    return parse(text, f"{package.replace('.', '/')}/{name}.sql")
