"""Bodies of CalDAV requests, small parsers of the answers and a digest of the CalDAV tables,
shared by the CalDAV tests, and the weekly busy event whose expansion the refresh tests
follow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import defusedxml.ElementTree as ET

from officehours.db import Database, one
from tests.caldav.dav import Dav
from tests.lib.support import NOW

NS = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:caldav", "CS": "http://calendarserver.org/ns/"}


def event(
    uid: str,
    start: str,
    end: str,
    summary: str = "Dentist",
    rrule: str | None = None,
    extra: str = "",
) -> str:
    """A VCALENDAR with one VEVENT; times are UTC like 20270105T170000Z."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//officehours tests//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20270101T000000Z",
        f"DTSTART:{start}",
        f"DTEND:{end}",
        f"SUMMARY:{summary}",
    ]
    if rrule:
        lines.append(f"RRULE:{rrule}")
    if extra:
        lines.append(extra)
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines)


def time_range_query(start: str, end: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start}" end="{end}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""


def multiget(*hrefs: str) -> str:
    refs = "".join(f"<D:href>{h}</D:href>" for h in hrefs)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>{refs}
</C:calendar-multiget>"""


def sync_collection(token: str = "") -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:">
  <D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level>
  <D:prop><D:getetag/></D:prop>
</D:sync-collection>"""


def free_busy(start: str, end: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">
  <C:time-range start="{start}" end="{end}"/>
</C:free-busy-query>"""


def mkcalendar(name: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop><D:displayname>{name}</D:displayname></D:prop></D:set>
</C:mkcalendar>"""


def propfind(*props: str) -> str:
    inner = "".join(f"<{p}/>" for p in props)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"
  xmlns:CS="http://calendarserver.org/ns/"><D:prop>{inner}</D:prop></D:propfind>"""


def set_blocking(value: str) -> str:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:O="urn:x-officehours:caldav">
  <D:set><D:prop><O:blocking>{value}</O:blocking></D:prop></D:set>
</D:propertyupdate>"""


def hrefs(body: bytes) -> list[str]:
    """The hrefs of the responses with a 200 propstat (found items)."""
    root = ET.fromstring(body)
    found = []
    for response in root.findall("D:response", NS):
        href = response.findtext("D:href", namespaces=NS)
        ok = any(
            "200" in (ps.findtext("D:status", namespaces=NS) or "")
            for ps in response.findall("D:propstat", NS)
        )
        if href and ok:
            found.append(href)
    return sorted(found)


def etags(body: bytes) -> dict[str, str]:
    """href -> getetag of each response with one (a PROPFIND answer)."""
    root = ET.fromstring(body)
    found = {}
    for response in root.findall("D:response", NS):
        etag = response.findtext(".//D:getetag", namespaces=NS)
        if etag:
            found[response.findtext("D:href", namespaces=NS) or ""] = etag
    return found


def gone(body: bytes) -> list[str]:
    """The hrefs reported as 404 (deleted, in a sync-collection answer)."""
    root = ET.fromstring(body)
    return sorted(
        r.findtext("D:href", namespaces=NS) or ""
        for r in root.findall("D:response", NS)
        if "404" in (r.findtext("D:status", namespaces=NS) or "")
    )


def token(body: bytes) -> str:
    """The sync token of a sync-collection answer."""
    return ET.fromstring(body).findtext("D:sync-token", namespaces=NS) or ""


def prop(body: bytes, name: str) -> str:
    """The first value of a property (like 'D:sync-token') in a PROPFIND answer."""
    element = ET.fromstring(body).find(f".//{name}", NS)
    return "" if element is None else (element.text or "")


# Tuesdays 17:00-18:00 UTC (09:00 or 10:00 in Los Angeles, inside coach X's office hours).
WEEKLY = event("gym", "20261229T170000Z", "20261229T180000Z", rrule="FREQ=WEEKLY;BYDAY=TU")
# Ten weeks on, the 90-day horizon has passed the first expansion (horizon + 31 days).
LATER = NOW + timedelta(weeks=10)
# A Tuesday the horizon reaches only from LATER on.
TARGET = datetime(2027, 5, 25, 17, 0, tzinfo=UTC)


def put_weekly(dav: Dav, owner: str) -> str:
    path = f"/{owner}/busy/gym.ics"
    assert dav("PUT", path, WEEKLY).status_code == 201
    return path


def busy_until(db: Database, ref: str) -> datetime:
    """The end of the last busy interval of one event."""
    with db.transaction() as cur:
        cur.execute("SELECT max(upper(during)) FROM busy_intervals WHERE source_ref = %s", (ref,))
        last: datetime = one(cur)[0]
        return last


def digest(db: Database) -> str:
    """A digest of every CalDAV row and busy interval, read as the owner."""
    with db.transaction() as cur:
        cur.execute(
            "SELECT md5(coalesce(string_agg(r, E'\\n' ORDER BY r), '')) FROM ("
            " SELECT 'c' || c::text FROM caldav_collections c"
            " UNION ALL SELECT 'i' || i::text FROM caldav_items i"
            " UNION ALL SELECT 'h' || x::text FROM caldav_changes x"
            " UNION ALL SELECT 'b' || b::text FROM busy_intervals b) AS t (r)"
        )
        return str(one(cur)[0])
