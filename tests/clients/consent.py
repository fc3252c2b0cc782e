"""The browser part of a client library's flow: log in and allow, return the redirect URL."""

from __future__ import annotations

import httpx

from tests.flows import decide, login


def allow(base_url: str, authorization_url: str, email: str, password: str) -> str:
    """Open the URL the library built, consent, and return the full redirect URL (with code)."""
    with httpx.Client(base_url=base_url, follow_redirects=False) as browser:
        assert login(browser, email, password).status_code == 303
        page = browser.get(authorization_url)
        assert page.status_code == 200, page.text
        answer = decide(browser, page.text, "allow")
        assert answer.status_code == 303, answer.text
        return answer.headers["location"]


def introspect(base_url: str, client_id: str, client_secret: str, token: str) -> dict[str, object]:
    answer = httpx.post(f"{base_url}/oauth2/introspect", data={"token": token}, auth=(client_id, client_secret))
    assert answer.status_code == 200, answer.text
    return answer.json()
