"""Reading HTML form posts: bounded, URL-encoded, UTF-8."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from camgate.web.http import BodyTooLargeError, read_body

MAX_FORM_BYTES = 64 * 1024


class FormData:
    """A form's fields; ``get`` returns the first value, ``getlist`` all (checkbox groups)."""

    def __init__(self, pairs: list[tuple[str, str]], valid: bool = True) -> None:
        self.pairs = pairs
        self.valid = valid

    def get(self, key: str, default: str | None = None) -> str | None:
        for k, v in self.pairs:
            if k == key:
                return v
        return default

    def getlist(self, key: str) -> list[str]:
        return [v for k, v in self.pairs if k == key]

    def __contains__(self, key: str) -> bool:
        return any(k == key for k, _ in self.pairs)


async def read_form(request: Request) -> FormData:
    """The posted form; an oversized, non-UTF-8 or non-urlencoded body gives an empty, invalid form
    (its CSRF check then fails and the page says so), never an exception."""
    try:
        body = await read_body(request, MAX_FORM_BYTES)
    except BodyTooLargeError:
        return FormData([], valid=False)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if body and ctype != "application/x-www-form-urlencoded":
        return FormData([], valid=False)
    try:
        text = body.decode("ascii")
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict", max_num_fields=500)
    except (UnicodeDecodeError, ValueError):
        return FormData([], valid=False)
    if any("\x00" in v for _, v in pairs):
        return FormData([], valid=False)
    return FormData(pairs)
