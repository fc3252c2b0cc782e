"""Recordings (time filters, offset pages, delete) and events (filters, cursor pages) over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

from camgate.config import Settings
from tests.api.helpers import data, gql, token_for
from tests.factories import World
from tests.support import LiveServer, in_transaction


def test_recordings_filters_pages_and_delete(server: LiveServer, world: World, settings: Settings) -> None:
    token = token_for(settings, world.a.owner, "read,recordings,recordings_delete")
    seen: list[dict[str, str]] = []
    for offset in range(0, 16, 4):
        page = data(
            gql(
                server.url,
                token,
                "query($o:Int!){recordings(first:4,offset:$o){totalCount items{id startedAt}}}",
                {"o": offset},
            )
        )["recordings"]
        assert page["totalCount"] == 15
        seen += page["items"]
    assert len({r["id"] for r in seen}) == 15
    assert [r["startedAt"] for r in seen] == sorted((r["startedAt"] for r in seen), reverse=True)
    cam = world.a.camera_ids["myCamera"]
    window = data(
        gql(
            server.url,
            token,
            f"""{{ camera(id: "{cam}") {{ recordings(since: "2026-11-01T02:00:00Z", until: "2026-11-01T03:00:00") {{
                 totalCount items {{ id startedAt endedAt }} }} }} }}""",
        )
    )["camera"]["recordings"]
    assert window["totalCount"] == 1
    assert window["items"][0]["startedAt"] == "2026-11-01T02:00:00+00:00"
    doomed = window["items"][0]["id"]
    assert data(gql(server.url, token, f'mutation {{ deleteRecording(id: "{doomed}") }}')) == {
        "deleteRecording": doomed
    }
    again = gql(server.url, token, f'mutation {{ deleteRecording(id: "{doomed}") }}').json()
    assert again["errors"][0]["extensions"] == {"code": "NOT_FOUND"}
    total = data(gql(server.url, token, "{ recordings { totalCount } }"))["recordings"]["totalCount"]
    assert total == 14
    for bad in ("recordings(first: 0)", "recordings(first: 101)", "recordings(offset: -1)"):
        error = gql(server.url, token, f"{{ {bad} {{ totalCount }} }}").json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", bad


def test_events_filters_and_cursor_pages(server: LiveServer, world: World, settings: Settings) -> None:
    token = token_for(settings, world.a.owner, "read,events")
    query = """query($after: String, $types: [String!], $cam: ID) {
      events(first: 4, after: $after, types: $types, cameraId: $cam) {
        items { id type occurredAt cameraId } pageInfo { hasNextPage endCursor } } }"""

    def walk(**variables: object) -> list[dict[str, str]]:
        items: list[dict[str, str]] = []
        after = None
        for _ in range(20):
            page = data(gql(server.url, token, query, {**variables, "after": after}))["events"]
            items += page["items"]
            if not page["pageInfo"]["hasNextPage"]:
                return items
            after = page["pageInfo"]["endCursor"]
        raise AssertionError("pagination did not end")

    everything = walk()
    assert len(everything) == 18 and len({e["id"] for e in everything}) == 18  # ties on time included
    assert [e["occurredAt"] for e in everything] == sorted((e["occurredAt"] for e in everything), reverse=True)
    cam = str(world.a.camera_ids["Garage"])
    motion = walk(types=["motion"], cam=cam)
    assert [e["type"] for e in motion] == ["motion"] * 3
    assert {e["cameraId"] for e in motion} == {cam}
    windowed = data(
        gql(
            server.url,
            token,
            '{ events(since: "2026-11-01T04:00:00Z", until: "2026-11-01T05:00:00Z") { items { id } } }',
        )
    )
    assert len(windowed["events"]["items"]) == 3  # one per camera
    bad = gql(server.url, token, '{ events(after: "bm90IGEgY3Vyc29y") { items { id } } }').json()
    assert bad["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "after"}


def test_a_recordings_page_is_one_statement_and_a_page_past_the_end_still_counts(
    settings: Settings, world: World
) -> None:
    """``store.devices.list_recordings``: the total rides on the page's rows (one round trip); a page
    past the end has no row to carry it, so the total is counted apart and stays right."""
    from sqlalchemy import event
    from sqlalchemy.ext.asyncio import AsyncConnection

    from camgate.store import devices

    viewer = devices.Viewer(world.a.org_id)
    statements: list[str] = []

    async def page(conn: AsyncConnection, offset: int, since: datetime | None = None) -> tuple[int, int, int]:
        event.listen(conn.sync_connection, "before_cursor_execute", lambda *args: statements.append(args[2]))
        statements.clear()
        total, rows = await devices.list_recordings(conn, viewer, since=since, limit=4, offset=offset)
        return total, len(rows), len(statements)

    assert in_transaction(settings, lambda conn: page(conn, 0)) == (15, 4, 1)
    assert in_transaction(settings, lambda conn: page(conn, 12)) == (15, 3, 1)
    assert in_transaction(settings, lambda conn: page(conn, 40)) == (15, 0, 2)
    future = datetime(2100, 1, 1, tzinfo=UTC)
    assert in_transaction(settings, lambda conn: page(conn, 0, future)) == (0, 0, 1)
