"""A person using the site through HTTP, as a browser without JavaScript would.

Journeys read the page they are on, find a form or a link by what it says, fill the form's
own fields (its CSRF token included) and send it, following redirects. What a step asserts is
what the page then says (`page.text`), not rows in the database.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.conftest import PASSWORD

#: Elements whose content no reader sees.
_HIDDEN = {"script", "style", "template", "head", "title"}


@dataclass
class Form:
    """One <form> of a page, with the values it would send as the page stands."""

    action: str
    method: str
    enctype: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    #: Submit buttons: (name, value, label).
    buttons: list[tuple[str, str, str]] = field(default_factory=list)
    #: Names of file inputs.
    file_inputs: list[str] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)
    text: str = ""

    def value(self, name: str) -> str | None:
        return next((v for n, v in self.fields if n == name), None)


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[tuple[str, str]] = []
        self.chunks: list[str] = []
        self.ids: set[str] = set()
        self.h1: list[str] = []
        self._hidden_depth = 0
        self._form: Form | None = None
        self._textarea: tuple[str, list[str]] | None = None
        self._select: tuple[str, list[tuple[str, bool]]] | None = None
        self._option: str | None = None
        self._link: tuple[str, list[str]] | None = None
        self._button: tuple[str, str, list[str]] | None = None
        self._in_h1 = False

    def handle_starttag(self, tag: str, attrs_list: list[tuple[str, str | None]]) -> None:
        attrs = {k: (v if v is not None else "") for k, v in attrs_list}
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag in _HIDDEN:
            self._hidden_depth += 1
        if tag == "h1":
            self._in_h1 = True
            self.h1.append("")
        if tag == "form":
            self._form = Form(
                action=attrs.get("action", ""),
                method=attrs.get("method", "get").lower(),
                enctype=attrs.get("enctype", ""),
                attrs=attrs,
            )
            self.forms.append(self._form)
        elif tag == "a" and "href" in attrs:
            self._link = (attrs["href"], [])
        form = self._form
        if form is None:
            return
        name = attrs.get("name", "")
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in {"submit", "image"}:
                form.buttons.append((name, attrs.get("value", ""), attrs.get("value", "")))
            elif kind == "file":
                form.file_inputs.append(name)
            elif kind in {"checkbox", "radio"}:
                if "checked" in attrs and name:
                    form.fields.append((name, attrs.get("value", "on")))
            elif name and "disabled" not in attrs:
                form.fields.append((name, attrs.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = (name, [])
        elif tag == "select" and name:
            self._select = (name, [])
        elif tag == "option" and self._select is not None:
            self._option = attrs.get("value")
            self._select[1].append((self._option or "", "selected" in attrs))
        elif tag == "button" and attrs.get("type", "submit").lower() == "submit":
            self._button = (name, attrs.get("value", ""), [])

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN and self._hidden_depth:
            self._hidden_depth -= 1
        if tag == "h1":
            self._in_h1 = False
        if tag == "form":
            self._form = None
        elif tag == "a" and self._link is not None:
            self.links.append((" ".join("".join(self._link[1]).split()), self._link[0]))
            self._link = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            text = "".join(self._textarea[1]).replace("\r\n", "\n")
            # A browser drops the one newline that follows the opening tag.
            self._form.fields.append((self._textarea[0], text.removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None and self._form is not None:
            options = self._select[1]
            chosen = next((v for v, selected in options if selected), None)
            if chosen is None and options:
                chosen = options[0][0]
            if chosen is not None:
                self._form.fields.append((self._select[0], chosen))
            self._select = None
        elif tag == "button" and self._button is not None and self._form is not None:
            name, value, label = self._button
            self._form.buttons.append((name, value, " ".join("".join(label).split())))
            self._button = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1].append(data)
            return
        if self._hidden_depth:
            return
        self.chunks.append(data)
        if self._in_h1:
            self.h1[-1] += data
        if self._link is not None:
            self._link[1].append(data)
        if self._button is not None:
            self._button[2].append(data)
        if self._form is not None:
            self._form.text += data


class Page:
    """What the person sees after a request."""

    def __init__(self, response: TestResponse, url: str) -> None:
        self.response = response
        self.status = response.status_code
        self.url = url
        self.html = response.get_data(as_text=True)
        parser = _PageParser()
        if "html" in (response.content_type or ""):
            parser.feed(self.html)
        self.forms = parser.forms
        self.links = parser.links
        self.ids = parser.ids
        self.headings = [" ".join(h.split()) for h in parser.h1]
        self.text = " ".join(unescape(" ".join(parser.chunks)).split())

    def __contains__(self, words: str) -> bool:
        return words in self.text

    def form(self, *, button: str | None = None, action: str | None = None) -> Form:
        """The form with a button whose label contains `button`, or whose action contains
        `action`; exactly one must match."""
        found = [
            f
            for f in self.forms
            if (button is None or any(button in label for _, _, label in f.buttons))
            and (action is None or action in urljoin(self.url, f.action or self.url))
        ]
        assert len(found) == 1, f"{len(found)} forms match button={button!r} action={action!r}"
        return found[0]

    def link(self, words: str) -> str:
        """The address of the first link whose text contains `words`."""
        for text, href in self.links:
            if words in text:
                return href
        raise AssertionError(f"no link {words!r} on {self.url}; links: {self.links}")


class Person:
    """Someone with a browser (cookies kept) on the site."""

    def __init__(self, app: Flask, email: str | None = None) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.email = email
        self.page: Page | None = None

    def _follow(self, response: TestResponse, url: str, allow: set[int]) -> Page:
        hops = 0
        while response.status_code in {301, 302, 303, 307, 308} and hops < 10:
            location = response.headers["Location"]
            url = urljoin(url, location)
            parts = urlsplit(url)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            response.close()
            response = self.client.get(path)
            hops += 1
        page = Page(response, url)
        response.close()
        assert page.status in allow, f"{url}: {page.status}\n{page.text[:2000]}"
        self.page = page
        return page

    def open(self, url: str, *, allow: set[int] | None = None) -> Page:
        return self._follow(self.client.get(url), url, allow or {200})

    def click(self, words: str, *, allow: set[int] | None = None) -> Page:
        assert self.page is not None, "no page open"
        return self.open(urljoin(self.page.url, self.page.link(words)), allow=allow)

    def submit(
        self,
        form: Form,
        fill: dict[str, str] | None = None,
        *,
        button: str | None = None,
        files: dict[str, tuple[bytes, str]] | None = None,
        allow: set[int] | None = None,
    ) -> Page:
        """Send `form` as a browser would: its own fields, `fill` typed over them, the pressed
        button's name and value, and `files` ({input name: (content, file name)})."""
        data: dict[str, list[object]] = {}
        given = dict(fill or {})
        for name, value in form.fields:
            data.setdefault(name, []).append(given.pop(name, value))
        for name, value in given.items():
            data[name] = [value]
        if button is not None:
            pressed = [b for b in form.buttons if button in b[2]]
            assert pressed, f"no button {button!r} in the form; buttons: {form.buttons}"
            name, value, _ = pressed[0]
            if name:
                data.setdefault(name, []).append(value)
        for name, (content, filename) in (files or {}).items():
            data.setdefault(name, []).append((io.BytesIO(content), filename))
        base = self.page.url if self.page is not None else "/"
        action = urljoin(base, form.action or base)
        parts = urlsplit(action)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if form.method == "get":
            response = self.client.get(path, query_string=data)
        else:
            response = self.client.post(path, data=data)
        return self._follow(response, action, allow or {200})

    def log_in(self, password: str = PASSWORD) -> Page:
        assert self.email, "who is this?"
        page = self.open("/auth/login")
        return self.submit(page.form(button="Log in"), {"email": self.email, "password": password})


def words(html_or_text: str) -> str:
    """Text with tags dropped and spaces collapsed (for mail bodies and fragments)."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html_or_text)).split())
