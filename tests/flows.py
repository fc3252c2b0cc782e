"""What a user does in a browser, done with httpx: log in, open the consent dialog, decide."""

from __future__ import annotations

import base64
import hashlib
import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import httpx


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, object]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "fields": {}})
        elif tag in ("input", "button") and self.forms and a.get("name"):
            if tag == "input" and a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            fields = self.forms[-1]["fields"]
            assert isinstance(fields, dict)
            if tag == "input":
                fields.setdefault(a["name"], a.get("value") or "")


def forms(html: str) -> list[dict[str, object]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form_fields(html: str, action: str) -> dict[str, str]:
    for form in forms(html):
        if form["action"] == action:
            return dict(form["fields"])  # type: ignore[arg-type]
    raise AssertionError(f"no form posting to {action} on the page")


def login(client: httpx.Client, email: str, password: str) -> httpx.Response:
    page = client.get("/login")
    assert page.status_code == 200, page.text
    fields = form_fields(page.text, "/login")
    fields.update(email=email, password=password)
    return client.post("/login", data=fields)


def open_consent(client: httpx.Client, params: dict[str, str]) -> httpx.Response:
    return client.get("/oauth2/auth", params=params)


def decide(client: httpx.Client, consent_page: str, decision: str = "allow") -> httpx.Response:
    fields = form_fields(consent_page, "/oauth2/consent")
    fields["decision"] = decision
    return client.post("/oauth2/consent", data=fields)


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query, keep_blank_values=True).items()}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorization_code(
    base_url: str, email: str, password: str, params: dict[str, str], decision: str = "allow"
) -> dict[str, str]:
    """Log in, consent, and return the redirect's query parameters (code, state, iss or error)."""
    with httpx.Client(base_url=base_url, follow_redirects=False) as client:
        assert login(client, email, password).status_code == 303
        page = open_consent(client, params)
        assert page.status_code == 200, page.text
        answer = decide(client, page.text, decision)
        assert answer.status_code == 303, answer.text
        return query_of(answer.headers["location"])
