"""``web.http_protocol``: a response's writes reach the socket as one, in order, and nothing is lost
when the connection closes. (Every HTTP test of the suite runs through it as well: the test
servers use the protocol ``camgate serve`` uses.)"""

from __future__ import annotations

import asyncio

from camgate.web.http_protocol import CoalescingTransport


class RecordingTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.events: list[str] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)
        self.events.append("write")

    def close(self) -> None:
        self.closing = True
        self.events.append("close")

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str) -> object:
        return ("127.0.0.1", 8000) if name == "sockname" else None


def _run(work) -> RecordingTransport:  # type: ignore[no-untyped-def]
    async def go() -> RecordingTransport:
        real = RecordingTransport()
        await work(CoalescingTransport(real, asyncio.get_running_loop()))  # type: ignore[arg-type]
        await asyncio.sleep(0)
        return real

    return asyncio.run(go())


def test_head_and_body_written_in_one_turn_go_out_as_one_write() -> None:
    async def work(t: CoalescingTransport) -> None:
        t.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        t.write(b"{}")
        assert t.get_write_buffer_size() == 40  # not yet on the socket

    assert _run(work).writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]


def test_writes_of_later_turns_follow_in_order() -> None:
    async def work(t: CoalescingTransport) -> None:
        t.write(b"a")
        await asyncio.sleep(0)
        t.write(b"b")
        t.write(b"c")

    assert _run(work).writes == [b"a", b"bc"]


def test_close_sends_what_is_pending_first() -> None:
    async def work(t: CoalescingTransport) -> None:
        t.write(b"last response")
        t.close()

    real = _run(work)
    assert real.events == ["write", "close"] and real.writes == [b"last response"]


def test_nothing_is_written_to_a_closing_socket_and_the_rest_is_the_socket_s() -> None:
    async def work(t: CoalescingTransport) -> None:
        assert t.get_extra_info("sockname") == ("127.0.0.1", 8000)
        t.write(b"late")
        t._transport.close()  # the peer went away

    assert _run(work).writes == []
