"""Bad CalDAV input gets a clear 4xx with our message, never a 500, and changes nothing.

Each case was a 500 (or a 4xx that said only "Bad Request") before the storage and the
application checked it; the real Radicale serves every request, on a real PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest

from caldav_plugin.service import make_app
from tests.caldav import helpers as h
from tests.caldav.dav import Dav, Login
from tests.lib.support import NOW

DTD = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE D:propfind [<!ENTITY boom "boom">]>
<D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&boom;</D:displayname></D:prop></D:propfind>"""

# A DTD that declares nothing: defusedxml lets Radicale read it, we refuse it all the same,
# as no DAV body needs one.
BARE_DTD = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE D:propfind SYSTEM "http://example.com/x.dtd">
<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:propfind>"""

XML_METHODS = ("PROPFIND", "PROPPATCH", "REPORT", "MKCALENDAR", "MKCOL")


def _target(dav: Dav, method: str) -> str:
    """Where each XML method is sent: a new collection for MKCALENDAR and MKCOL."""
    me = dav.login.slug
    return f"/{me}/new/" if method.startswith("MK") else f"/{me}/busy/"


def _text(response: Any) -> str:
    return str(response.get_data(as_text=True))


def _items(dav: Dav, cal: str) -> list[str]:
    return h.hrefs(dav("PROPFIND", cal, h.propfind("D:getetag"), Depth="1").data)


@pytest.mark.parametrize("method", XML_METHODS)
@pytest.mark.parametrize("body", [DTD, BARE_DTD], ids=["entities", "bare"])
def test_a_body_with_a_dtd_is_refused_with_400(dav: Dav, method: str, body: str) -> None:
    r = dav(method, _target(dav, method), body, Depth="0")
    assert r.status_code == 400
    assert "DTD" in _text(r)
    assert dav("PROPFIND", f"/{dav.login.slug}/new/", Depth="0").status_code == 404


@pytest.mark.parametrize("method", XML_METHODS)
def test_malformed_xml_is_refused_with_our_message(dav: Dav, method: str) -> None:
    r = dav(method, _target(dav, method), "<D:propfind xmlns:D='DAV:'><D:prop>", Depth="0")
    assert r.status_code == 400
    assert "not well-formed XML" in _text(r) and "line 1" in _text(r)


@pytest.mark.parametrize("method", ["REPORT", "PROPPATCH"])
def test_a_method_that_needs_a_body_refuses_an_empty_one(dav: Dav, method: str) -> None:
    r = dav(method, _target(dav, method), "", Depth="0")
    assert r.status_code == 400
    assert f"A {method} needs an XML body" in _text(r)


def test_a_body_over_max_content_length_is_refused_with_413(
    db_url: str, world: Any, coach: Login
) -> None:
    limits = {"storage": {"clock": NOW.isoformat()}, "server": {"max_content_length": "5000"}}
    dav = Dav(make_app(db_url, limits), coach)
    huge = h.propfind("D:displayname" + " " * 6000)
    r = dav("PROPFIND", f"/{coach.slug}/busy/", huge, Depth="0")
    assert r.status_code == 413 and "5000 bytes" in _text(r)
    big = h.event("big", "20270105T170000Z", "20270105T180000Z", extra="X-A:" + "a" * 6000)
    assert dav("PUT", f"/{coach.slug}/busy/big.ics", big).status_code == 413
    assert _items(dav, f"/{coach.slug}/busy/") == [f"/{coach.slug}/busy/"]


@pytest.mark.parametrize("length", ["abc", "-5", "١٢", "1e3", "99999999999999999999999"])
def test_a_content_length_that_is_not_a_number_of_bytes_is_refused(dav: Dav, length: str) -> None:
    r = dav.client.open(
        f"/{dav.login.slug}/busy/",
        method="PROPFIND",
        data=h.propfind("D:displayname").encode(),
        headers={**dav.login.header, "Content-Type": "application/xml"},
        environ_overrides={"CONTENT_LENGTH": length},
    )
    assert r.status_code in (400, 413)
    assert "Content-Length" in r.get_data(as_text=True)


def test_a_body_in_an_unknown_charset_is_refused(dav: Dav) -> None:
    r = dav(
        "PROPFIND",
        f"/{dav.login.slug}/busy/",
        h.propfind("D:displayname"),
        Content_Type="application/xml; charset=no-such-charset",
        Depth="0",
    )
    assert r.status_code == 415 and "no-such-charset" in _text(r)
    cal = f"/{dav.login.slug}/busy/"
    body = h.event("cs", "20270105T170000Z", "20270105T180000Z")
    put = dav("PUT", cal + "cs.ics", body, Content_Type="text/calendar; charset=x\x01y")
    assert put.status_code == 415
    assert _items(dav, cal) == [cal]


@pytest.mark.parametrize("calendar", ["busy", "private"])
def test_an_event_that_ends_before_it_starts_is_refused(
    dav: Dav, world: Any, calendar: str
) -> None:
    cal = f"/{dav.login.slug}/{calendar}/"
    if calendar != "busy":
        assert dav("MKCALENDAR", cal, h.mkcalendar("Private")).status_code == 201
    backwards = h.event("backwards", "20270105T180000Z", "20270105T170000Z")
    r = dav("PUT", cal + "backwards.ics", backwards)
    assert r.status_code == 400
    assert "ends before it starts" in _text(r) and "backwards" in _text(r)
    assert _items(dav, cal) == [cal]
    with world.db.transaction() as cur:
        cur.execute("SELECT count(*) FROM busy_intervals")
        assert cur.fetchone() == (0,)


def test_an_item_name_over_255_characters_is_refused_with_400(dav: Dav) -> None:
    cal = f"/{dav.login.slug}/busy/"
    body = h.event("long", "20270105T170000Z", "20270105T180000Z")
    r = dav("PUT", cal + "x" * 300 + ".ics", body)
    assert r.status_code == 400 and "255 characters" in _text(r)
    assert _items(dav, cal) == [cal]
    assert dav("PUT", cal + "x" * 251 + ".ics", body).status_code == 201


def test_a_calendar_name_over_255_characters_is_refused_with_400_not_403(dav: Dav) -> None:
    r = dav("MKCALENDAR", f"/{dav.login.slug}/{'y' * 300}/", h.mkcalendar("Long"))
    assert r.status_code == 400 and "255 characters" in _text(r)


def test_a_recurrence_over_the_instance_limit_says_why(dav: Dav) -> None:
    cal = f"/{dav.login.slug}/busy/"
    minutely = h.event("often", "20270105T170000Z", "20270105T170100Z", rrule="FREQ=MINUTELY")
    r = dav("PUT", cal + "often.ics", minutely)
    assert r.status_code == 400 and "often" in _text(r) and "1000" in _text(r)
    assert _items(dav, cal) == [cal]


# Found by the fuzz test (tests/caldav/test_fuzz.py), each a test of its own here.


def test_an_empty_put_on_a_calendar_leaves_it_as_it_was(dav: Dav, world: Any) -> None:
    cal = f"/{dav.login.slug}/busy/"
    assert (
        dav("PUT", cal + "a.ics", h.event("a", "20270105T170000Z", "20270105T180000Z")).status_code
        == 201
    )
    # Radicale reads an empty body as an empty address book: it would wipe the calendar.
    r = dav.client.open(cal, method="PUT", data=b"", headers=dav.login.header)
    assert r.status_code == 403 and "calendars only" in _text(r)
    assert _items(dav, cal) == [cal, cal + "a.ics"]
    with world.db.transaction() as cur:
        cur.execute("SELECT count(*) FROM busy_intervals")
        assert cur.fetchone() == (1,)


def test_a_whole_calendar_put_keeps_the_blocking_flag(dav: Dav) -> None:
    me = dav.login.slug
    assert dav("MKCALENDAR", f"/{me}/gym/", h.mkcalendar("Gym")).status_code == 201
    assert dav("PROPPATCH", f"/{me}/gym/", h.set_blocking("true")).status_code == 207
    whole = h.event("g", "20270105T170000Z", "20270105T180000Z").replace(
        "VERSION:2.0", "VERSION:2.0\r\nX-WR-CALNAME:Gym again"
    )
    assert dav("PUT", f"/{me}/gym/", whole).status_code == 201
    r = dav("PROPFIND", f"/{me}/gym/", h.propfind("D:displayname"), Depth="0")
    assert h.prop(r.data, "D:displayname") == "Gym again"
    assert b"true" in dav("PROPFIND", f"/{me}/gym/", Depth="0").data


def test_the_resource_type_of_a_calendar_cannot_change(dav: Dav) -> None:
    cal = f"/{dav.login.slug}/busy/"
    body = """<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
<D:resourcetype><D:collection/><C:calendar/></D:resourcetype></D:prop></D:set></D:propertyupdate>"""
    before = dav("PROPFIND", cal, Depth="0").data
    r = dav("PROPPATCH", cal, body)
    assert r.status_code == 403 and "resourcetype" in _text(r)
    assert dav("PROPFIND", cal, Depth="0").data == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav"/>', "DAV:propfind"),
        ('<D:propfind xmlns:D="DAV:"/>', "DAV:prop"),
        (h.multiget(""), "href"),
    ],
    ids=["wrong-root", "no-child", "empty-href"],
)
def test_a_body_radicale_would_read_blindly_is_refused(dav: Dav, body: str, message: str) -> None:
    method = "REPORT" if "multiget" in body else "PROPFIND"
    r = dav(method, f"/{dav.login.slug}/busy/", body, Depth="1")
    assert r.status_code == 400 and message in _text(r)


@pytest.mark.parametrize("destination", ["http://[::1", "http://localhost:port/x"])
def test_a_destination_that_is_not_a_url_is_refused(dav: Dav, destination: str) -> None:
    cal = f"/{dav.login.slug}/busy/"
    assert (
        dav("PUT", cal + "a.ics", h.event("a", "20270105T170000Z", "20270105T180000Z")).status_code
        == 201
    )
    r = dav("MOVE", cal + "a.ics", Destination=destination)
    assert r.status_code == 400 and "Destination" in _text(r)
    assert _items(dav, cal) == [cal, cal + "a.ics"]


def test_a_time_range_that_ends_before_it_starts_matches_nothing(dav: Dav) -> None:
    cal = f"/{dav.login.slug}/busy/"
    dav("PUT", cal + "a.ics", h.event("a", "20270105T170000Z", "20270105T180000Z"))
    r = dav("REPORT", cal, h.time_range_query("20270201T000000Z", "00010101T000000Z"), Depth="1")
    assert r.status_code == 207 and h.hrefs(r.data) == []


@pytest.mark.parametrize(
    ("start", "end"),
    [("00010101T000000Z", "20270105T180000Z"), ("20270105T170000Z", "99991231T235959Z")],
    ids=["from-year-1", "to-year-9999"],
)
def test_busy_time_beyond_the_years_python_counts_is_refused(
    dav: Dav, start: str, end: str
) -> None:
    cal = f"/{dav.login.slug}/busy/"
    r = dav("PUT", cal + "far.ics", h.event("far", start, end))
    assert r.status_code == 400 and "years 1 to 9999" in _text(r)
    assert _items(dav, cal) == [cal]


def test_a_refused_request_changes_no_row_even_of_what_the_storage_did_first(
    dav: Dav, world: Any
) -> None:
    # The first request of a user makes their calendars and builds the generated ones: work
    # of the storage, not of the request, but a refused request must leave no row changed.
    before = h.digest(world.db)
    missing = dav("GET", f"/{dav.login.slug}/appointments/missing.ics")
    assert missing.status_code == 404
    refused = dav("PUT", f"/{dav.login.slug}/busy/x.ics", "not iCalendar")
    assert refused.status_code == 400
    assert h.digest(world.db) == before
    assert dav("GET", f"/{dav.login.slug}/appointments/").status_code == 200
    assert h.digest(world.db) != before
