"""Hostile CalDAV requests: every method Radicale serves, on the principal, each generated and
stored calendar and their items, with bodies and headers a client should never send.

Two promises are checked for every request: no answer is a 5xx, and a refusal (any 4xx)
changes nothing in the database (a digest of the CalDAV tables and of busy time, taken as the
owner before and after). The cases are a fixed list, so a run is deterministic; it takes well
under a minute.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from werkzeug.test import TestResponse

from officehours import booking
from officehours.db import Database, one
from tests.caldav import helpers as h
from tests.caldav.dav import Dav
from tests.lib.support import NOW, World

METHODS = (
    "OPTIONS",
    "PROPFIND",
    "PROPPATCH",
    "REPORT",
    "GET",
    "HEAD",
    "PUT",
    "DELETE",
    "MKCOL",
    "MKCALENDAR",
    "MOVE",
)
XML_METHODS = ("PROPFIND", "PROPPATCH", "REPORT", "MKCOL", "MKCALENDAR")
DAV_NS = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"'
LONG = "x" * 70_000
# Values every text field is tried with.
HOSTILE_TEXT = (
    "\x00",
    "a\x00b",
    "a\r\nX-Injected: yes",
    "\r\n\r\nBEGIN:VEVENT",
    LONG,
    "٢٠٢٧",
    "²",
    "\u2028",
    "\ud7ff\ufffd",
    "../../etc/passwd",
    "%00",
)
# Years and times nobody's calendar holds, and digits that are not ASCII.
HOSTILE_TIMES = (
    "00000101T000000Z",
    "00010101T000000Z",
    "99991231T235959Z",
    "100000101T000000Z",
    "-00010101T000000Z",
    "\u0662\u0660\u0662\u0667\u0660\u0661\u0660\u0665T000000Z",
    "20270105T250000Z",
    "20271305T000000Z",
    "20270105T000000+14:00",
    "20270105",
    "",
    "\x00",
    "9" * 40,
)


def _xml(inner: str) -> str:
    return f'<?xml version="1.0" encoding="utf-8"?>\n{inner}'


def xml_bodies() -> Iterator[tuple[str, str]]:
    """(label, body) of hostile XML bodies, for every XML method."""
    yield "dtd-entities", _xml('<!DOCTYPE x [<!ENTITY a "aaaa">]><D:propfind xmlns:D="DAV:"/>')
    yield (
        "dtd-external",
        _xml('<!DOCTYPE x SYSTEM "file:///etc/passwd"><D:propfind xmlns:D="DAV:"/>'),
    )
    yield (
        "billion-laughs",
        _xml(
            '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            '<D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&b;</D:displayname></D:prop>'
            "</D:propfind>"
        ),
    )
    yield "malformed", "<D:propfind xmlns:D='DAV:'><D:prop>"
    yield "not-xml", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    yield "nul", "<a>\x00</a>"
    yield "whitespace", "   \r\n  "
    yield (
        "deep",
        "<D:propfind xmlns:D='DAV:'>" + "<D:prop>" * 5000 + "</D:prop>" * 5000 + "</D:propfind>",
    )
    yield "wrong-root", _xml(f"<C:nonsense {DAV_NS}/>")
    yield "empty-prop", _xml(f"<D:propfind {DAV_NS}><D:prop/></D:propfind>")
    yield (
        "unknown-prop",
        _xml(f"<D:propfind {DAV_NS}><D:prop><C:{'q' * 300}/></D:prop></D:propfind>"),
    )
    for n, text in enumerate(HOSTILE_TEXT):
        safe = text.replace("\x00", "").replace("&", "&amp;").replace("<", "&lt;")
        yield (
            f"displayname-{n}",
            _xml(
                f"<D:propertyupdate {DAV_NS}><D:set><D:prop><D:displayname>{safe}</D:displayname>"
                "</D:prop></D:set></D:propertyupdate>"
            ),
        )
        yield (
            f"blocking-{n}",
            _xml(
                '<D:propertyupdate xmlns:D="DAV:" xmlns:O="urn:x-officehours:caldav"><D:set>'
                f"<D:prop><O:blocking>{safe}</O:blocking></D:prop></D:set></D:propertyupdate>"
            ),
        )
        yield f"sync-token-{n}", h.sync_collection(safe)
        yield f"multiget-{n}", h.multiget(safe, "/" + safe, f"/x/busy/{safe}.ics")
        yield f"mkcalendar-{n}", h.mkcalendar(safe)
        yield (
            f"color-{n}",
            _xml(
                '<D:propertyupdate xmlns:D="DAV:" xmlns:I="http://apple.com/ns/ical/"><D:set>'
                f"<D:prop><I:calendar-color>{safe}</I:calendar-color></D:prop></D:set>"
                "</D:propertyupdate>"
            ),
        )
    for n, moment in enumerate(HOSTILE_TIMES):
        yield f"time-range-{n}", h.time_range_query(moment, "20270201T000000Z")
        yield f"time-range-end-{n}", h.time_range_query("20270101T000000Z", moment)
        yield f"free-busy-{n}", h.free_busy(moment, moment)
    yield (
        "remove-all",
        _xml(
            f"<D:propertyupdate {DAV_NS}><D:remove><D:prop><D:resourcetype/><C:supported-calendar-"
            "component-set/><D:displayname/></D:prop></D:remove></D:propertyupdate>"
        ),
    )
    yield (
        "set-resourcetype",
        _xml(
            f"<D:propertyupdate {DAV_NS}><D:set><D:prop><D:resourcetype><D:collection/>"
            "<C:calendar/></D:resourcetype></D:prop></D:set></D:propertyupdate>"
        ),
    )
    yield (
        "nested-filters",
        _xml(
            f"<C:calendar-query {DAV_NS}><C:filter>"
            + '<C:comp-filter name="VCALENDAR">' * 200
            + "</C:comp-filter>" * 200
            + "</C:filter></C:calendar-query>"
        ),
    )
    yield (
        "text-match",
        _xml(
            f"<C:calendar-query {DAV_NS}><C:filter><C:comp-filter name='VCALENDAR'>"
            "<C:comp-filter name='VEVENT'><C:prop-filter name='SUMMARY'>"
            f"<C:text-match collation='i;{'x' * 100}'>\u2028</C:text-match>"
            "</C:prop-filter></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"
        ),
    )


def _vevent(**fields: str | None) -> str:
    """A VCALENDAR with one VEVENT; ``fields`` replace or add properties (None drops one; a
    name ending in ";" is followed by parameters, as in ``{"DTSTART;": "TZID=x:2027..."}``)."""
    props: dict[str, str | None] = {
        "UID": "fuzz",
        "DTSTAMP": "20270101T000000Z",
        "DTSTART": "20270105T170000Z",
        "DTEND": "20270105T180000Z",
        "SUMMARY": "Fuzz",
    }
    props.update(fields)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//fuzz//EN", "BEGIN:VEVENT"]
    lines += [
        f"{k}:{v}" if not k.endswith(";") else f"{k[:-1]};{v}"
        for k, v in props.items()
        if v is not None
    ]
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines)


def put_bodies() -> Iterator[tuple[str, str | bytes]]:
    """(label, body) of hostile iCalendar bodies for PUT."""
    for n, moment in enumerate(HOSTILE_TIMES):
        yield f"dtstart-{n}", _vevent(DTSTART=moment)
        yield f"dtend-{n}", _vevent(DTEND=moment)
        yield f"until-{n}", _vevent(RRULE=f"FREQ=DAILY;UNTIL={moment}")
    for n, text in enumerate(HOSTILE_TEXT):
        yield f"uid-{n}", _vevent(UID=text)
        yield f"summary-{n}", _vevent(SUMMARY=text)
        yield f"tzid-{n}", _vevent(**{"DTSTART;": f"TZID={text}:20270105T090000"})
    yield "backwards", _vevent(DTSTART="20270105T180000Z", DTEND="20270105T170000Z")
    yield (
        "backwards-yearly",
        _vevent(DTSTART="20270105T180000Z", DTEND="20270105T170000Z", RRULE="FREQ=YEARLY"),
    )
    yield "duration-huge", _vevent(DTEND=None, DURATION="P99999999D")
    yield "duration-negative", _vevent(DTEND=None, DURATION="-PT1H")
    yield (
        "year-one-weekly",
        _vevent(DTSTART="00010101T000000Z", DTEND="00010101T010000Z", RRULE="FREQ=WEEKLY"),
    )
    yield (
        "year-9999-daily",
        _vevent(DTSTART="99991231T000000Z", DTEND="99991231T010000Z", RRULE="FREQ=DAILY"),
    )
    yield "secondly", _vevent(RRULE="FREQ=SECONDLY")
    yield "count-huge", _vevent(RRULE="FREQ=DAILY;COUNT=99999999999999999999")
    yield "bysetpos", _vevent(RRULE="FREQ=MONTHLY;BYDAY=MO;BYSETPOS=-9999")
    yield "rrule-garbage", _vevent(RRULE="FREQ=\x00;BYDAY=٣MO")
    yield "rdate-far", _vevent(RDATE="99991231T000000Z,00010101T000000Z")
    yield "exdate-garbage", _vevent(EXDATE="not-a-date")
    yield "two-uids", _vevent() + _vevent(UID="other")
    yield "empty", ""
    yield "not-ical", "hello"
    yield "latin1", _vevent(SUMMARY="caf\xe9").encode("latin-1")
    yield "invalid-utf8", b"\xff\xfe" + _vevent().encode()
    yield "nul-bytes", _vevent().replace("\r\n", "\r\n\x00")
    yield "bare-lf", _vevent().replace("\r\n", "\n")
    yield "bare-cr", _vevent().replace("\r\n", "\r")
    yield (
        "vtodo-due-before",
        _vevent()
        .replace("VEVENT", "VTODO")
        .replace("DTEND", "DUE")
        .replace("20270105T180000Z", "20270105T160000Z"),
    )
    yield "vcard", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nUID:v\r\nEND:VCARD\r\n"
    yield "whole-calendar-nested", "BEGIN:VCALENDAR\r\n" * 300 + "END:VCALENDAR\r\n" * 300


HEADERS: tuple[tuple[str, str], ...] = (
    ("HTTP_DEPTH", "infinity"),
    ("HTTP_DEPTH", "\x00"),
    ("HTTP_DEPTH", "\u0661"),
    ("HTTP_DEPTH", "1\r\nX-Injected: yes"),
    ("HTTP_IF_MATCH", '"\x00"'),
    ("HTTP_IF_MATCH", "*"),
    ("HTTP_IF_MATCH", LONG),
    ("HTTP_IF_NONE_MATCH", "*"),
    ("HTTP_IF_NONE_MATCH", "\r\n"),
    ("HTTP_OVERWRITE", "\x00"),
    ("HTTP_ACCEPT_ENCODING", "gzip, \x00, " + "x" * 1000),
    ("HTTP_ACCEPT", "\x00/\x00"),
    ("HTTP_PREFER", "return=minimal\r\n"),
    ("HTTP_X_SCRIPT_NAME", "\x00"),
    ("HTTP_X_SCRIPT_NAME", "relative"),
    ("HTTP_USER_AGENT", LONG),
    ("HTTP_X_FORWARDED_FOR", "\x00"),
    ("CONTENT_TYPE", "application/xml; charset=\x00"),
    ("CONTENT_TYPE", "application/xml; charset=utf-7"),
    ("CONTENT_TYPE", "application/xml; charset=" + "x" * 300),
    ("CONTENT_LENGTH", "١٢"),
    ("CONTENT_LENGTH", "-1"),
    ("CONTENT_LENGTH", "9" * 30),
)
DESTINATIONS = (
    "",
    "\x00",
    "http://[::1",
    "http://localhost:port/x",
    "http://localhost:99999999/x",
    "http://localhost/" + "a" * 5000,
    "/%00/x.ics",
    "/{me}/appointments/moved.ics",
    "/{me}/office-hours/moved.ics",
    "/{me}/busy/" + "m" * 300 + ".ics",
    "/{me}/busy/../../{other}/busy/moved.ics",
    "/{me}/private/moved.ics",
    "/{me}/",
    "/",
    "/{other}/busy/moved.ics",
)


# What the cases aim at, as the owner sees it: a digest that changes only when an accepted
# write moved, deleted or unblocked them.
FIXTURES = (
    "SELECT md5(coalesce(string_agg(concat_ws('|', c.name, c.blocking, i.href, i.etag), ','"
    " ORDER BY c.name), '')) FROM caldav_collections c"
    " LEFT JOIN caldav_items i ON i.collection_id = c.id AND i.href = 'a.ics'"
    " WHERE c.name IN ('busy', 'private')"
)


@dataclass
class Fuzzer:
    """Sends requests, checks each answer and the database, and collects what broke."""

    dav: Dav
    db: Database
    restore: Callable[[], None]
    broken: list[str] = field(default_factory=list)
    sent: int = 0
    refused: int = 0
    state: str = ""
    intact: str = ""

    def __post_init__(self) -> None:
        self.state = h.digest(self.db)
        self.intact = self._fixtures()

    def _fixtures(self) -> str:
        with self.db.transaction() as cur:
            cur.execute(FIXTURES)
            return str(one(cur)[0])

    def send(
        self,
        method: str,
        path: str,
        body: str | bytes | None = None,
        environ: dict[str, str] | None = None,
        label: str = "",
    ) -> TestResponse:
        """One request; what it broke is added to ``broken``."""
        headers = {**self.dav.login.header}
        if body is not None:
            headers["Content-Type"] = "text/calendar" if method == "PUT" else "application/xml"
        data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
        r = self.dav.client.open(
            path, method=method, data=data, headers=headers, environ_overrides=environ or {}
        )
        self.sent += 1
        what = f"{method} {path[:80]!r} {label}"
        after = h.digest(self.db)
        if r.status_code >= 500:
            self.broken.append(f"{what}: {r.status_code}")
        elif r.status_code >= 400:
            self.refused += 1
            if after != self.state:
                self.broken.append(f"{what}: {r.status_code} but the database changed")
        elif after != self.state and self._fixtures() != self.intact:
            # An accepted write moved, deleted or unblocked what the next cases aim at.
            self.restore()
            after = h.digest(self.db)
        self.state = after
        return r


@pytest.fixture
def fuzzer(dav: Dav, world: World) -> Fuzzer:
    """Coach X with a booked call, an event in the blocking busy calendar and one in a
    calendar of their own, every generated calendar built."""
    me = world.x
    booking.book(world.db, world.a, world.a, datetime(2027, 1, 5, 17, 0, tzinfo=UTC), now=NOW)

    def restore() -> None:
        made = dav("MKCALENDAR", f"/{me}/private/", h.mkcalendar("Private"))
        assert made.status_code in (201, 409)
        for cal in ("busy", "private"):
            item = h.event(f"{cal}-a", "20270106T170000Z", "20270106T180000Z")
            dav("DELETE", f"/{me}/{cal}/a.ics")
            assert dav("PUT", f"/{me}/{cal}/a.ics", item).status_code == 201
        assert dav("PROPPATCH", f"/{me}/busy/", h.set_blocking("true")).status_code == 207

    restore()
    # Built now, so that reading a generated calendar changes nothing later.
    assert dav("PROPFIND", f"/{me}/", h.propfind("D:displayname"), Depth="1").status_code == 207
    return Fuzzer(dav, world.db, restore)


def _targets(world: World, dav: Dav) -> list[str]:
    me = world.x
    appointment = h.hrefs(dav("PROPFIND", f"/{me}/appointments/", Depth="1").data)[-1]
    return [
        "/",
        f"/{me}/",
        f"/{me}/appointments/",
        f"/{me}/office-hours/",
        f"/{me}/busy/",
        f"/{me}/private/",
        f"/{me}/busy/a.ics",
        f"/{me}/private/a.ics",
        appointment,
        f"/{me}/busy/missing.ics",
        f"/{world.y}/busy/",
        f"/{me}/busy/%00.ics",
        f"/{me}/{'n' * 300}/",
        f"/{me}/busy/a.ics/deeper",
        f"/{me}/busy/..%2F..%2F{world.y}%2Fbusy%2F",
    ]


def test_hostile_requests_get_no_5xx_and_refusals_change_nothing(
    fuzzer: Fuzzer, world: World, dav: Dav, caplog: pytest.LogCaptureFixture
) -> None:
    # Radicale logs each refusal with its traceback; formatting thousands of them is most
    # of the run's time, and what broke is collected anyway.
    caplog.set_level(logging.CRITICAL, logger="radicale")
    targets = _targets(world, dav)
    items = [t for t in targets if not t.endswith("/")]
    me, cal = world.x, f"/{world.x}/busy/"
    put_body = h.event("hdr", "20270105T170000Z", "20270105T180000Z")

    # Every method on every target plainly, and on a calendar and an item with each hostile
    # header.
    for method in METHODS:
        for path in targets:
            fuzzer.send(method, path)
        for key, value in HEADERS:
            item = method in ("GET", "DELETE", "PUT", "MOVE", "HEAD")
            body = put_body if method == "PUT" else h.propfind("D:getetag")
            fuzzer.send(method, cal + "a.ics" if item else cal, body, {key: value}, key)

    # Every hostile XML body with every method that reads one; the targets take turns.
    places = (f"/{me}/", f"/{me}/appointments/", cal, f"/{me}/busy/a.ics", f"/{me}/fresh/")
    for method in XML_METHODS:
        for n, (label, xml) in enumerate(xml_bodies()):
            fuzzer.send(method, places[n % len(places)], xml, {"HTTP_DEPTH": "1"}, label)

    # Every hostile iCalendar body into the blocking calendar and a plain one; a generated
    # calendar and a whole-calendar PUT take turns.
    others = (f"/{me}/appointments/p.ics", cal)
    for n, (label, ical) in enumerate(put_bodies()):
        for path in (cal + "p.ics", f"/{me}/private/p.ics", others[n % 2]):
            fuzzer.send("PUT", path, ical, None, label)

    # MOVE of items to every kind of destination.
    for destination in DESTINATIONS:
        target = destination.format(me=me, other=world.y)
        for source in items[:3]:
            fuzzer.send("MOVE", source, None, {"HTTP_DESTINATION": target}, target[:40])

    assert fuzzer.broken == [], "\n".join(fuzzer.broken)
    assert fuzzer.sent > 1000 and fuzzer.refused > 700
