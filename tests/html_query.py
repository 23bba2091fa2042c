"""CSS selectors on a page, so page tests assert on the elements a person sees, not on substrings.

    page = html(client.get("/logs"))
    page.one("#conflict-panel")             # exactly one, else the test fails naming the selector
    page.all("tr.log-row")                  # every match, in document order
    page.text("h1")                         # the text of the one match, white space folded
    page.one("a.next")["href"]              # an attribute (KeyError if absent); .attrs for all
    page.count(".pill.FAILED") == 2

Built on selectolax (the Lexbor HTML5 parser), so the markup is read as a browser reads it.
"""

from __future__ import annotations

from typing import Protocol

from selectolax.lexbor import LexborHTMLParser, LexborNode


class HasText(Protocol):
    @property
    def text(self) -> str: ...


def fold(text: str) -> str:
    """White space folded the way a browser shows it."""
    return " ".join(text.split())


def _in_context(markup: str) -> str:
    """Table rows sent alone (an HTMX swap of rows) parsed inside a table, as the page holds them:
    an HTML5 parser drops a <tr> or <td> that stands outside one."""
    head = markup.lstrip()[:8].lower()
    if head.startswith(("<tr", "<tbody", "<thead")):
        return f"<table>{markup}</table>"
    if head.startswith(("<td", "<th")) and not head.startswith("<thead"):
        return f"<table><tr>{markup}</tr></table>"
    return markup


class Query:
    """Selectors below a node: every match, exactly one, the first, how many, their texts."""

    node: LexborNode

    def all(self, selector: str) -> list[Element]:
        return [Element(node) for node in self.node.css(selector)]

    def one(self, selector: str) -> Element:
        found = self.all(selector)
        where = (self.node.html or "")[:3000]
        assert len(found) == 1, f"{selector!r}: {len(found)} matches, wanted one, in\n{where}"
        return found[0]

    def first(self, selector: str) -> Element | None:
        node = self.node.css_first(selector)
        return Element(node) if node is not None else None

    def count(self, selector: str) -> int:
        return len(self.node.css(selector))

    def texts(self, selector: str) -> list[str]:
        return [element.text for element in self.all(selector)]

    def text_of(self, selector: str) -> str:
        """The text of the one element `selector` matches."""
        return self.one(selector).text


class Element(Query):
    """One element: its text, its attributes, and selectors below it."""

    def __init__(self, node: LexborNode) -> None:
        self.node = node

    @property
    def tag(self) -> str:
        return str(self.node.tag)

    @property
    def text(self) -> str:
        return fold(self.node.text(separator=" "))

    @property
    def html(self) -> str:
        return self.node.html or ""

    @property
    def attrs(self) -> dict[str, str | None]:
        return dict(self.node.attributes)

    @property
    def classes(self) -> list[str]:
        return (self.node.attributes.get("class") or "").split()

    def __getitem__(self, name: str) -> str:
        value = self.node.attributes[name]
        return "" if value is None else value

    def get(self, name: str, default: str | None = None) -> str | None:
        if name not in self.node.attributes:
            return default
        return self.node.attributes[name] or ""

    def has(self, name: str) -> bool:
        return name in self.node.attributes

    def __repr__(self) -> str:
        return f"<{self.tag} {self.attrs}>"


class Page(Query):
    """A whole page or an HTMX fragment (a fragment is parsed into a body of its own)."""

    def __init__(self, markup: str) -> None:
        self.markup = markup
        root = LexborHTMLParser(_in_context(markup)).root
        assert root is not None, "no markup to parse"
        self.node = root

    def text(self, selector: str | None = None) -> str:
        """The text of the one element `selector` matches; without one, the page's whole text."""
        if selector is None:
            return fold(self.node.text(separator=" "))
        return self.one(selector).text


def html(response: HasText | str) -> Page:
    """The page of a response (anything with `.text`) or of a string of markup."""
    return Page(response if isinstance(response, str) else response.text)
