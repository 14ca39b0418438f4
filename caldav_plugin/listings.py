"""The two listings Radicale answers item by item, answered from the item columns instead.

Radicale answers a depth-1 PROPFIND of a calendar by making an item for every event and
checking its path and rights one by one, and a free-busy REPORT by parsing every event in the
range. Etags, hrefs, lengths, instances and free-busy types are columns of ``caldav_items``, so
here the calendar's own response is still Radicale's (``xml_propfind_response``), and the items'
responses are written from one query; free-busy time comes merged from SQL and is rendered by
Radicale's ``render_freebusy``. Only what these answers cover is taken; anything else (another
depth, a property Radicale answers from the principal or the rights, sharing, an encoding other
than UTF-8, an item whose free-busy time needs parsing) goes to Radicale as before.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from contextlib import ExitStack
from http import client
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from radicale import httputils, pathutils, rights, types, xmlutils
from radicale.app import propfind as radicale_propfind
from radicale.app import report as radicale_report
from radicale.app.base import Access
from radicale.item import filter as radicale_filter

from caldav_plugin.collection import Collection
from caldav_plugin.read import http_date
from caldav_plugin.store import MAX_INSTANCES, ListedItem

if TYPE_CHECKING:
    from caldav_plugin.app import Application

_D = "{DAV:}"
PROP = f"{_D}prop"
GETETAG = f"{_D}getetag"
GETCONTENTTYPE = f"{_D}getcontenttype"
GETCONTENTLENGTH = f"{_D}getcontentlength"
GETLASTMODIFIED = f"{_D}getlastmodified"
RESOURCETYPE = f"{_D}resourcetype"
# What Radicale answers for an item from the principal, the rights or the configuration
# rather than the item: such a PROPFIND is left to Radicale.
NOT_FROM_ITEMS = frozenset(
    f"{_D}{name}"
    for name in (
        "principal-collection-set",
        "current-user-principal",
        "current-user-privilege-set",
        "supported-report-set",
        "owner",
    )
) | {"{urn:ietf:params:xml:ns:caldav}max-resource-size"}
FREE_BUSY_QUERY = "{urn:ietf:params:xml:ns:caldav}free-busy-query"
TIME_RANGE = "{urn:ietf:params:xml:ns:caldav}time-range"
OK = xmlutils.make_response(200)
NOT_FOUND = xmlutils.make_response(404)


def propfind(
    app: Application,
    environ: types.WSGIEnviron,
    base_prefix: str,
    path: str,
    user: str,
    user_groups: set[str],
    request_info: dict[str, Any],
) -> types.WSGIResponse | None:
    """The answer to a depth-1 PROPFIND of one of our calendars, or None for Radicale's."""
    if environ.get("HTTP_DEPTH") != "1" or not _utf8(app) or app._sharing._enabled:
        return None
    if len(pathutils.strip_path(path).split("/")) != 2:
        return None
    root = _peek_body(app, environ, request_info)
    if root is None or len(root) != 1 or root[0].tag != PROP or len(root[0]) == 0:
        return None
    props = [prop.tag for prop in root[0]]
    if any(tag in NOT_FROM_ITEMS for tag in props):
        return None
    access = Access(app._rights, user, user_groups, path)
    if not access.check("r"):
        return None
    with app._storage.acquire_lock("r", user):
        collection = next(iter(app._storage.discover(path, "0")), None)
        if not isinstance(collection, Collection) or collection.tag != "VCALENDAR":
            return None
        if not access.check("r", collection):
            return None
        allowed = list(app._collect_allowed_items([collection], user, user_groups))
        collection_path = pathutils.unstrip_path(collection.path, True)
        item_rights = app._rights.authorization(user, user_groups, collection_path)
        if not allowed or not rights.intersect(item_rights, "rw"):
            return None
        listed = collection.listing()
    _, permission, raw_permissions = allowed[0]
    multistatus = ET.Element(xmlutils.make_clark("D:multistatus"))
    multistatus.append(
        radicale_propfind.xml_propfind_response(
            app,
            base_prefix,
            path,
            collection,
            props,
            user,
            app._encoding,
            max_resource_size=app._max_resource_size,
            write="w" in permission,
            raw_permissions=raw_permissions,
        )
    )
    head = app._xml_response(multistatus, request_info)
    cut = head.rindex(b"</multistatus>")
    prefix = quote(f"{base_prefix}{collection_path}")
    body = b"".join(
        (
            head[:cut],
            "".join(_item_response(prefix, entry, props, app._encoding) for entry in listed).encode(
                app._encoding
            ),
            head[cut:],
        )
    )
    request_info["status"] = client.MULTI_STATUS
    headers = {"DAV": httputils.DAV_HEADERS, "Content-Type": f"text/xml; charset={app._encoding}"}
    return client.MULTI_STATUS, headers, body, xmlutils.pretty_xml(root)


def _item_response(prefix: str, entry: ListedItem, props: list[str], encoding: str) -> str:
    """One item's DAV:response, with what Radicale's ``xml_propfind_response`` gives an item:
    the five properties an item has, each other one as not found, statuses in the order they
    first occur."""
    found: list[str] = []
    missing: list[str] = []
    for tag in props:
        if tag == GETETAG:
            found.append(f"<getetag>{escape(entry.etag)}</getetag>")
        elif tag == GETCONTENTTYPE:
            mimetype = xmlutils.OBJECT_MIMETYPES.get(entry.name, "text/calendar")
            component = f";component={entry.component}" if entry.component else ""
            found.append(
                f"<getcontenttype>{mimetype};charset={encoding}{component}</getcontenttype>"
            )
        elif tag == GETCONTENTLENGTH:
            found.append(f"<getcontentlength>{entry.length}</getcontentlength>")
        elif tag == GETLASTMODIFIED:
            found.append(f"<getlastmodified>{http_date(entry.modified_at)}</getlastmodified>")
        elif tag == RESOURCETYPE:
            found.append("<resourcetype />")
        else:
            missing.append(_empty(tag))
    groups = [(OK, found), (NOT_FOUND, missing)]
    if missing and props and _empty(props[0]) == missing[0]:
        groups.reverse()
    stats = "".join(
        f"<propstat><prop>{''.join(children)}</prop><status>{status}</status></propstat>"
        for status, children in groups
        if children
    )
    href = quote(entry.href)
    return f"<response><href>{prefix}{href}</href>{stats}</response>"


def _empty(tag: str) -> str:
    """An empty element for a Clark-notation tag, with its namespace declared on itself."""
    if not tag.startswith("{"):
        # No namespace: the answer's default namespace is DAV:, so it is undeclared here.
        return f'<{tag} xmlns="" />'
    namespace, _, name = tag[1:].partition("}")
    if namespace == "DAV:":
        return f"<{name} />"
    return f"<X:{name} xmlns:X={quoteattr(namespace)} />"


def free_busy(
    app: Application,
    environ: types.WSGIEnviron,
    path: str,
    user: str,
    user_groups: set[str],
    request_info: dict[str, Any],
) -> types.WSGIResponse | None:
    """The answer to a free-busy REPORT on one of our calendars, or None for Radicale's."""
    if app._sharing._enabled:
        return None
    max_occurrence = app.configuration.get("reporting", "max_freebusy_occurrence")
    if 0 < max_occurrence <= MAX_INSTANCES:
        # A stored item may reach a limit this low, which only Radicale's count enforces.
        return None
    root = _peek_body(app, environ, request_info)
    if root is None or root.tag != FREE_BUSY_QUERY:
        return None
    time_range = root.find(TIME_RANGE)
    if time_range is None:
        return None
    try:
        start, end = radicale_filter.parse_time_range(time_range)
    except ValueError:
        return None
    access = Access(app._rights, user, user_groups, path)
    if not access.check("r") and not access.allows_freebusy():
        return None
    with ExitStack() as lock:
        lock.enter_context(app._storage.acquire_lock("r", user))
        collection = next(iter(app._storage.discover(path)), None)
        if not isinstance(collection, Collection) or collection.tag != "VCALENDAR":
            return None
        if not access.allows_freebusy(collection):
            return None
        # The filter Radicale's freebusy_collection_text makes of the query.
        event = ET.Element(xmlutils.make_clark("C:comp-filter"), attrib={"name": "VEVENT"})
        event.append(time_range)
        calendar = ET.Element(xmlutils.make_clark("C:comp-filter"), attrib={"name": "VCALENDAR"})
        calendar.append(event)
        query = ET.Element(xmlutils.make_clark("C:filter"))
        query.append(calendar)
        periods = collection.busy_periods(start, end)
        to_parse = collection.filtered((query,), unknown_busy_only=True)
    for item, matched in to_parse:
        try:
            if not matched and not radicale_report.test_filter(collection.tag, item, query):
                continue
            periods.extend(radicale_report.freebusy_periods(item, start, end, max_occurrence))
        except ValueError:
            return httputils.BAD_REQUEST
    text = radicale_report.render_freebusy(periods, start, end)
    headers = {"Content-Type": f"text/calendar; charset={app._encoding}"}
    return client.OK, headers, text, xmlutils.pretty_xml(root)


def _utf8(app: Application) -> bool:
    """Whether Radicale answers in UTF-8, the encoding the stored lengths are counted in."""
    return cast(str, app._encoding).replace("-", "").lower() == "utf8"


def _peek_body(
    app: Application, environ: types.WSGIEnviron, request_info: dict[str, Any]
) -> ET.Element | None:
    """The request's XML body, read with every check of ``Application``, and left to be read
    again by Radicale; None when there is none or Radicale should answer it (with its own
    refusal)."""
    try:
        raw = httputils.read_raw_request_body(app.configuration, environ)
    except (RuntimeError, OSError):
        return None
    wsgi = cast(dict[str, Any], environ)
    wsgi["wsgi.input"] = io.BytesIO(raw)
    try:
        return app._read_xml_request_body(environ, request_info)
    except (RuntimeError, ValueError):
        return None
    finally:
        wsgi["wsgi.input"] = io.BytesIO(raw)
