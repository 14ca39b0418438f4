"""Depth-1 PROPFIND and free-busy answered from the item columns (``caldav_plugin.listings``):
the same answers Radicale gives item by item over the same storage, without building an item
for the listing and parsing only what the columns cannot tell."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import defusedxml.ElementTree as ET
import pytest
from radicale import Application as RadicaleApplication
from radicale import item as radicale_item

from caldav_plugin.service import configuration, utf8_paths
from officehours import booking
from officehours.db import Database
from tests.caldav import helpers as h
from tests.caldav.dav import Dav, Login
from tests.caldav.test_bookings import SLOT
from tests.lib.support import NOW, World

CAL = "busy"
MONTH = ("20270101T000000Z", "20270201T000000Z")
# A month with the recurring event's override in it, and an all-day event.
EVENTS = {
    "plain.ics": h.event("plain", "20270105T170000Z", "20270105T180000Z", summary="Zoë ✓"),
    "weekly.ics": h.event(
        "weekly", "20261229T090000Z", "20261229T100000Z", rrule="FREQ=WEEKLY;COUNT=20"
    ),
    "free.ics": h.event("free", "20270106T170000Z", "20270106T190000Z", extra="TRANSP:TRANSPARENT"),
    "maybe.ics": h.event("maybe", "20270107T170000Z", "20270107T180000Z", extra="STATUS:TENTATIVE"),
    "off.ics": h.event("off", "20270108T170000Z", "20270108T180000Z", extra="STATUS:CANCELLED"),
    "edge.ics": h.event("edge", "20261231T230000Z", "20270101T010000Z"),
    "endless.ics": h.event("endless", "20270104T120000Z", "20270104T130000Z", rrule="FREQ=DAILY"),
    "late.ics": h.event("late", "20270301T170000Z", "20270301T180000Z"),
}
# A weekly event whose one instance is moved and made tentative: its components differ.
OVERRIDDEN = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//officehours tests//EN",
        "BEGIN:VEVENT",
        "UID:over",
        "DTSTAMP:20270101T000000Z",
        "DTSTART:20270104T080000Z",
        "DTEND:20270104T083000Z",
        "RRULE:FREQ=WEEKLY;COUNT=6",
        "SUMMARY:Standup",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:over",
        "DTSTAMP:20270101T000000Z",
        "RECURRENCE-ID:20270111T080000Z",
        "DTSTART:20270111T150000Z",
        "DTEND:20270111T153000Z",
        "STATUS:TENTATIVE",
        "SUMMARY:Standup, later",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
)
ALL_DAY = (
    h.event("day", "20270120", "20270121")
    .replace("DTSTART:20270120", "DTSTART;VALUE=DATE:20270120")
    .replace("DTEND:20270121", "DTEND;VALUE=DATE:20270121")
)


@pytest.fixture
def radicale_dav(db_url: str, coach: Login) -> Dav:
    """Radicale's own application over the same storage: the answers to match."""
    conf = configuration(db_url, {"storage": {"clock": NOW.isoformat()}})
    return Dav(utf8_paths(RadicaleApplication(conf)), coach)


@pytest.fixture
def filled(dav: Dav) -> str:
    """Coach X's busy calendar with every kind of event above; its path."""
    cal = f"/{dav.login.slug}/{CAL}/"
    for name, text in {**EVENTS, "over.ics": OVERRIDDEN, "day.ics": ALL_DAY}.items():
        assert dav("PUT", cal + name, text).status_code == 201, name
    return cal


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The hrefs of the items Radicale's Item class is made for, as they are made."""
    made: list[str] = []
    original = radicale_item.Item.__init__

    def counting(self: radicale_item.Item, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(kwargs.get("href") or "")

    monkeypatch.setattr(radicale_item.Item, "__init__", counting)
    yield made


def responses(body: bytes) -> dict[str, list[tuple[str, str, str]]]:
    """href -> sorted (status, property, value) of a multistatus, namespace prefixes aside."""
    result: dict[str, list[tuple[str, str, str]]] = {}
    for response in ET.fromstring(body).findall("D:response", h.NS):
        href = response.findtext("D:href", namespaces=h.NS) or ""
        found = []
        for stat in response.findall("D:propstat", h.NS):
            status = stat.findtext("D:status", namespaces=h.NS) or ""
            for element in stat.find("D:prop", h.NS) or []:
                value = (element.text or "") + "".join(sorted(child.tag for child in element))
                found.append((status, element.tag, value))
        result[href] = sorted(found)
    return result


@pytest.mark.parametrize(
    "props",
    [
        ("D:getetag",),
        ("D:getetag", "D:getcontenttype", "D:resourcetype"),
        ("D:getcontentlength", "D:getlastmodified"),
        ("D:displayname", "CS:getctag", "D:sync-token", "D:getetag"),
        ("C:calendar-data", "C:supported-calendar-component-set"),
    ],
)
def test_depth_1_propfind_answers_as_radicale_does(
    dav: Dav, radicale_dav: Dav, filled: str, built: list[str], props: tuple[str, ...]
) -> None:
    ours = dav("PROPFIND", filled, h.propfind(*props), Depth="1")
    assert ours.status_code == 207
    if "D:getcontentlength" not in props:
        # (Radicale's own answer for the calendar itself counts the bytes of all of it.)
        assert built == [], "the listing is answered without making an item"
    built.clear()
    theirs = radicale_dav("PROPFIND", filled, h.propfind(*props), Depth="1")
    assert theirs.status_code == 207 and len(built) >= len(EVENTS) + 2
    assert responses(ours.data) == responses(theirs.data)
    assert len(responses(ours.data)) == len(EVENTS) + 3


def test_propfinds_it_does_not_cover_are_radicales(
    dav: Dav, radicale_dav: Dav, filled: str
) -> None:
    for depth, body in (
        ("1", h.propfind("D:current-user-privilege-set", "D:getetag")),
        ("0", h.propfind("D:getetag")),
        ("1", None),
    ):
        ours = dav("PROPFIND", filled, body, Depth=depth)
        theirs = radicale_dav("PROPFIND", filled, body, Depth=depth)
        assert ours.status_code == theirs.status_code == 207
        assert responses(ours.data) == responses(theirs.data)


def test_an_empty_calendar_and_a_generated_one_are_listed(
    dav: Dav, radicale_dav: Dav, world: World
) -> None:
    booking.book(world.db, world.a, world.a, SLOT, now=NOW)
    for cal in (f"/{dav.login.slug}/{CAL}/", f"/{dav.login.slug}/appointments/"):
        body = h.propfind("D:getetag", "D:getcontenttype")
        ours = dav("PROPFIND", cal, body, Depth="1")
        assert responses(ours.data) == responses(
            radicale_dav("PROPFIND", cal, body, Depth="1").data
        )


def periods(text: str) -> list[str]:
    """The FREEBUSY lines of a VFREEBUSY, DTSTAMP left out."""
    return sorted(line for line in text.splitlines() if line.startswith("FREEBUSY"))


@pytest.mark.parametrize(
    "window",
    [MONTH, ("20270111T000000Z", "20270112T000000Z"), ("20270105T173000Z", "20270107T173000Z")],
)
def test_free_busy_answers_as_radicale_does(
    dav: Dav, radicale_dav: Dav, filled: str, built: list[str], window: tuple[str, str]
) -> None:
    ours = dav("REPORT", filled, h.free_busy(*window), Depth="1")
    assert ours.status_code == 200
    parsed = set(built)
    theirs = radicale_dav("REPORT", filled, h.free_busy(*window), Depth="1")
    assert theirs.status_code == 200
    assert periods(ours.get_data(as_text=True)) == periods(theirs.get_data(as_text=True))
    assert periods(ours.get_data(as_text=True)), "the window holds busy time"
    # Only the endless event and the one whose override differs are made into items.
    assert parsed <= {"endless.ics", "over.ics"}


def test_free_busy_of_items_stored_before_their_type_was_kept(
    dav: Dav, radicale_dav: Dav, filled: str, db: Database, built: list[str]
) -> None:
    with db.transaction() as cur:
        cur.execute("UPDATE caldav_items SET fbtype = NULL")
    ours = dav("REPORT", filled, h.free_busy(*MONTH), Depth="1").get_data(as_text=True)
    assert len(set(built)) > 5, "without the type, the items are parsed as before"
    theirs = radicale_dav("REPORT", filled, h.free_busy(*MONTH), Depth="1").get_data(as_text=True)
    assert periods(ours) == periods(theirs)


def test_free_busy_types_are_stored(dav: Dav, filled: str, db: Database) -> None:
    with db.transaction() as cur:
        cur.execute(
            "SELECT href, fbtype FROM caldav_items WHERE collection_id = caldav_collection(%s, %s)",
            (dav.login.slug, CAL),
        )
        found = dict(cur.fetchall())
    assert found == {
        "day.ics": "BUSY",
        "edge.ics": "BUSY",
        "endless.ics": "BUSY",
        "free.ics": "TRANSPARENT",
        "late.ics": "BUSY",
        "maybe.ics": "BUSY-TENTATIVE",
        "off.ics": "FREE",
        "over.ics": None,
        "plain.ics": "BUSY",
        "weekly.ics": "BUSY",
    }


def test_a_free_busy_without_a_time_range_is_refused_with_our_message(
    dav: Dav, filled: str
) -> None:
    body = '<?xml version="1.0"?><C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"/>'
    answer = dav("REPORT", filled, body, Depth="1")
    assert answer.status_code == 400
    assert b"CALDAV:time-range" in answer.data


@pytest.mark.parametrize(
    "inner",
    [
        '<I:calendar-color xmlns:I="http://apple.com/ns/ical/"/><D:getetag/>',
        '<Z:odd xmlns:Z="urn:example:odd"/><D:getetag/><D:resourcetype/>',
    ],
)
def test_properties_of_other_namespaces_are_answered_as_radicale_does(
    dav: Dav, radicale_dav: Dav, filled: str, inner: str
) -> None:
    body = f'<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>{inner}</D:prop></D:propfind>'
    ours = dav("PROPFIND", filled, body, Depth="1")
    theirs = radicale_dav("PROPFIND", filled, body, Depth="1")
    assert ours.status_code == theirs.status_code == 207
    assert responses(ours.data) == responses(theirs.data)


def test_a_property_without_a_namespace_is_refused_with_our_message(dav: Dav, filled: str) -> None:
    body = '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><plain/></D:prop></D:propfind>'
    for depth in ("0", "1"):
        answer = dav("PROPFIND", filled, body, Depth=depth)
        assert answer.status_code == 400 and b"XML namespace" in answer.data
    change = (
        '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
        "<plain>x</plain></D:prop></D:set></D:propertyupdate>"
    )
    assert dav("PROPPATCH", filled, change).status_code == 400
