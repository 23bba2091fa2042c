"""Just enough of the Lucene query syntax to answer the searches LlamaLog sends to the fake."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r'(?P<field>[\w-]+):"(?P<phrase>(?:[^"\\]|\\.)*)"'
    r"|(?P<rfield>[\w-]+):\[(?P<lo>\S+) TO (?P<hi>\S+)\]"
    r"|(?P<tfield>[\w-]+):(?P<term>[^\s()]+)"
    r'|"(?P<free_phrase>(?:[^"\\]|\\.)*)"'
    r"|(?P<word>[^\s()]+)"
)


@dataclass
class Query:
    fields: dict[str, str] = field(default_factory=dict)
    # Every field clause in order: `artist:"A" AND artist:"B"` names two artists.
    clauses: list[tuple[str, str]] = field(default_factory=list)
    ranges: dict[str, tuple[str, str]] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)


def fold(value: str) -> str:
    """Case, accents, curly quotes and extra spaces do not matter when matching."""
    value = value.replace("\u2019", "'").replace("\u2018", "'")
    value = unicodedata.normalize("NFKD", value)
    value = "".join(c for c in value if not unicodedata.combining(c))
    return " ".join(value.lower().split())


_WORD = re.compile(r"\w+")


def words(value: str) -> list[str]:
    """The tokens a search index keeps: folded words, punctuation and symbols dropped."""
    return _WORD.findall(fold(value).replace("'", ""))


def phrase_in(phrase: list[str], tokens: list[str]) -> bool:
    """A phrase query: every word, in order and adjacent (an empty phrase matches nothing)."""
    size = len(phrase)
    return size > 0 and any(tokens[i : i + size] == phrase for i in range(len(tokens) - size + 1))


def parse_query(text: str) -> Query:
    """Every clause is ANDed; OR, NOT and boosts are out of scope for a fake."""
    query = Query()
    for match in _TOKEN.finditer(text):
        if match["field"]:
            query.fields[match["field"].lower()] = re.sub(r"\\(.)", r"\1", match["phrase"])
            query.clauses.append((match["field"].lower(), query.fields[match["field"].lower()]))
        elif match["rfield"]:
            query.ranges[match["rfield"].lower()] = (match["lo"], match["hi"])
        elif match["tfield"]:
            query.fields[match["tfield"].lower()] = match["term"]
            query.clauses.append((match["tfield"].lower(), match["term"]))
        elif match["free_phrase"] is not None:
            query.words.append(match["free_phrase"])
        elif match["word"] and match["word"] not in ("AND", "OR", "&&", "||"):
            query.words.append(match["word"])
    return query


def _low(value: str) -> str:
    return value + "0000-01-01"[len(value) :]


def _high(value: str) -> str:
    return value + "9999-12-31"[len(value) :]


def within(value: str | None, lo: str, hi: str) -> bool:
    """A partial date is within a range when its period overlaps it ("2011" meets 2011-06-01..)."""
    if not value:
        return False
    lo_bound = "0000-01-01" if lo == "*" else _low(lo)
    hi_bound = "9999-12-31" if hi == "*" else _high(hi)
    return _low(value) <= hi_bound and _high(value) >= lo_bound
