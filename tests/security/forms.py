"""The forms a page really shows (action, method, fields and their default values), read with the
standard library's HTML parser, so the fuzz test covers every field a person can submit."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    page: str = ""  # where it was found, to read it again after a save moved the version on

    @property
    def key(self) -> tuple[Any, ...]:
        """Forms differ by where they post and what they carry (the album page has one per field)."""
        fixed = {k: v for k, v in self.fields.items() if k not in ("_csrf_token", "version")}
        return (self.method, self.action, tuple(sorted(fixed.items())))


class _FormParser(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._first_option = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = a.get("action") or a.get("hx-post") or a.get("hx-get") or self.page_url
            method = "post" if a.get("hx-post") else a.get("method", "get").lower()
            self._form = Form(action=action.split("#")[0], method=method, page=self.page_url)
            self.forms.append(self._form)
        if self._form is None or not a.get("name"):
            return
        name = a["name"]
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._form.fields.setdefault(name, "")
                return
            if kind not in ("submit", "button", "reset", "file"):
                self._form.fields[name] = a.get("value", "on" if kind == "checkbox" else "")
        elif tag == "select":
            self._select, self._first_option = name, True
            self._form.fields.setdefault(name, "")
        elif tag == "option" and self._select and ("selected" in a or self._first_option):
            self._form.fields[self._select] = a.get("value", "")
            self._first_option = False
        elif tag == "textarea":
            self._textarea = name
            self._form.fields[name] = ""

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_in(html: str, page_url: str) -> list[Form]:
    """Every <form> on the page (`page_url`, query included) with the values it would submit untouched."""
    parser = _FormParser(page_url)
    parser.feed(html)
    return parser.forms
