"""Radicale's WSGI application with the answers of officehours at its edge.

Radicale answers every exception it does not expect with a 500, and a refusal of the storage
with a bare "Bad Request". This subclass keeps Radicale's request handling as it is and adds
only what its edge lacks:

- before Radicale: the headers it would trip over (Content-Length a number of bytes within
  ``[server] max_content_length``, which Radicale checks only under its own server; a charset
  Python knows; a Destination that parses as a URL);
- where Radicale reads an XML body: no DTD or entity declarations, well-formed, not nested
  deeper than a DAV body ever is, of the element the method takes, with no empty href, and
  present for the methods that need one;
- around Radicale: the request's one transaction, committed only when the answer is a
  success, so a refused request never changes a row;
- after Radicale: our message and status for what the storage refused
  (``caldav_plugin.outcome.Refused``), and 503 with Retry-After while the database is
  unavailable, instead of 500.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import xml.etree.ElementTree as ET
from contextlib import ExitStack
from http import client
from typing import Any, cast
from urllib.parse import unquote, urlparse

import defusedxml
import defusedxml.ElementTree as DefusedET
import radicale
from radicale import config, httputils, types

from caldav_plugin import listings, outcome
from officehours import errors

log = logging.getLogger(__name__)

Response = tuple[str, list[tuple[str, str]], list[bytes]]

# A calendar-query filter, the deepest DAV body, nests about eight elements; Radicale walks
# bodies recursively, so a deeper one would end in a RecursionError.
MAX_XML_DEPTH = 64
# RFC 3253 and RFC 4918: these methods mean nothing without a body.
NEEDS_BODY = ("REPORT", "PROPPATCH")
_DIGITS = re.compile(r"[0-9]{1,19}")
# The root element each method's body must have (RFC 4918, RFC 4791, RFC 5689); REPORT has
# several, and Radicale answers an unknown one itself.
ROOTS = {
    "PROPFIND": ("{DAV:}propfind", "DAV:propfind"),
    "PROPPATCH": ("{DAV:}propertyupdate", "DAV:propertyupdate"),
    "MKCOL": ("{DAV:}mkcol", "DAV:mkcol"),
    "MKCALENDAR": ("{urn:ietf:params:xml:ns:caldav}mkcalendar", "CALDAV:mkcalendar"),
}
PROPFIND_KINDS = ("{DAV:}prop", "{DAV:}allprop", "{DAV:}propname")
DAV_HREF = "{DAV:}href"
DAV_RESOURCETYPE = "{DAV:}resourcetype"
DAV_PROP = "{DAV:}prop"
FREE_BUSY_QUERY = "{urn:ietf:params:xml:ns:caldav}free-busy-query"
TIME_RANGE = "{urn:ietf:params:xml:ns:caldav}time-range"


class Application(radicale.Application):
    """Radicale with our answers for refusals and outages; see the module docstring."""

    def __init__(self, configuration: config.Configuration) -> None:
        super().__init__(configuration)
        self._body_limit: int = configuration.get("server", "max_content_length")

    def _handle_request(self, environ: types.WSGIEnviron) -> Response:
        """Radicale's handling of one request, with our answers where it would give its own."""
        with outcome.recording() as noted:
            early = self._check_headers(environ)
            if early is not None:
                return self._plain(early.status, early.message)
            try:
                status_text, headers, answers = self._in_one_transaction(environ, noted)
            except Exception as exc:
                # Radicale lets exceptions of authentication and of the principal's discovery
                # escape to its __call__, which answers 500; so would a failed commit.
                found = noted.unavailable or outcome.service_error(exc)
                if found is not None:
                    log.warning(
                        "database unavailable: %s %s: %s", _method(environ), _path(environ), exc
                    )
                    return self._unavailable(found)
                raise
        status = _status(status_text)
        if status >= 500 and noted.unavailable:
            log.warning("database unavailable: %s %s", _method(environ), _path(environ))
            return self._unavailable(noted.unavailable)
        if status >= 400 and status != client.UNAUTHORIZED and noted.refusal is not None:
            return self._plain(noted.refusal.status, noted.refusal.message)
        return status_text, headers, list(answers)

    def _in_one_transaction(self, environ: types.WSGIEnviron, noted: outcome.Outcome) -> Response:
        """Radicale's answer, with the request's transaction committed only when the answer
        is a success: Radicale answers some errors after the storage has written (a PROPPATCH
        it cannot answer), and a refused request must change nothing."""
        try:
            with ExitStack() as held:
                noted.held = held
                status_text, headers, answers = super()._handle_request(environ)
                if _status(status_text) >= 400:
                    raise _Undo((status_text, headers, list(answers)))
        except _Undo as undo:
            return undo.response
        finally:
            noted.held = None
        return status_text, headers, list(answers)

    def do_PROPFIND(
        self,
        environ: types.WSGIEnviron,
        base_prefix: str,
        path: str,
        user: str,
        user_groups: set[str],
        request_info: dict[str, Any],
    ) -> types.WSGIResponse:
        """Radicale's PROPFIND, with a calendar's depth-1 listing answered from the item
        columns (``caldav_plugin.listings``)."""
        answer = listings.propfind(
            self, environ, base_prefix, path, user, user_groups, request_info
        )
        if answer is not None:
            return answer
        return super().do_PROPFIND(environ, base_prefix, path, user, user_groups, request_info)

    def do_REPORT(
        self,
        environ: types.WSGIEnviron,
        base_prefix: str,
        path: str,
        user: str,
        user_groups: set[str],
        request_info: dict[str, Any],
    ) -> types.WSGIResponse:
        """Radicale's REPORT, with free-busy answered from the stored instances
        (``caldav_plugin.listings``)."""
        answer = listings.free_busy(self, environ, path, user, user_groups, request_info)
        if answer is not None:
            return answer
        return super().do_REPORT(environ, base_prefix, path, user, user_groups, request_info)

    def _check_headers(self, environ: types.WSGIEnviron) -> outcome.Refused | None:
        """The refusal of a request whose headers Radicale would trip over (a body it could
        not read, a Destination it could not parse), or None."""
        length = environ.get("CONTENT_LENGTH") or ""
        if length and not _DIGITS.fullmatch(length):
            return outcome.Refused("Content-Length must be a number of bytes.")
        if length and int(length) > self._body_limit:
            return outcome.Refused(
                f"The request body is larger than the {self._body_limit} bytes allowed "
                "(Content-Length).",
                client.REQUEST_ENTITY_TOO_LARGE,
            )
        destination = environ.get("HTTP_DESTINATION")
        if destination is not None and not _is_url(destination):
            return outcome.Refused(f"Destination is not a URL: {destination[:200]!r}.")
        content_type = environ.get("CONTENT_TYPE") or ""
        if "charset=" in content_type:
            charset = content_type.split("charset=")[1].split(";")[0].strip()
            try:
                codecs.lookup(charset)
            except (LookupError, ValueError):
                return outcome.Refused(
                    f"The request body is in a charset that is not known: {charset!r}.",
                    client.UNSUPPORTED_MEDIA_TYPE,
                )
        return None

    def _read_xml_request_body(
        self, environ: types.WSGIEnviron, request_info: dict[str, Any]
    ) -> ET.Element | None:
        """Radicale's reading of an XML body, after our checks of it.

        Raises RuntimeError (Radicale answers 400, and we with our message and status) for a
        body with a DTD or entity declarations, one that is not well-formed, nested too deep
        or of a shape the method does not take, or none where the method needs one.
        """
        raw = httputils.read_raw_request_body(self.configuration, environ)
        method = _method(environ)
        if not raw.strip():
            if method in NEEDS_BODY:
                raise RuntimeError(outcome.Refused(f"A {method} needs an XML body."))
            return None
        content = httputils.decode_request(self.configuration, environ, raw)
        try:
            root = DefusedET.fromstring(content, forbid_dtd=True)
        except defusedxml.DefusedXmlException as exc:
            refused = outcome.Refused(
                "A DAV request body may not contain a DTD or entity declarations."
            )
            raise RuntimeError(refused) from exc
        except ET.ParseError as exc:
            line, column = exc.position
            refused = outcome.Refused(
                f"The request body is not well-formed XML (line {line}, column {column})."
            )
            raise RuntimeError(refused) from exc
        if _too_deep(root):
            raise RuntimeError(
                outcome.Refused(f"The request body nests more than {MAX_XML_DEPTH} elements.")
            )
        wrong = _wrong_shape(method, root)
        if wrong is not None:
            raise RuntimeError(wrong)
        # Radicale types the environ as a Mapping; WSGI servers hand over a dict (PEP 3333).
        cast(dict[str, Any], environ)["wsgi.input"] = io.BytesIO(raw)
        return super()._read_xml_request_body(environ, request_info)

    def _plain(
        self, status: int, message: str, extra: tuple[tuple[str, str], ...] = ()
    ) -> Response:
        """A text/plain answer with our message."""
        body = (message + "\n").encode()
        headers = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            *extra,
            *getattr(self, "_extra_headers", {}).items(),
        ]
        return f"{status} {client.responses.get(status, 'Error')}", headers, [body]

    def _unavailable(self, error: errors.OfficeHoursError) -> Response:
        """503 with Retry-After: the database cannot serve now (outcome.unavailable_answer)."""
        status, headers, body = outcome.unavailable_answer(error)
        extra = list(getattr(self, "_extra_headers", {}).items())
        return status, headers + extra, body


class _Undo(Exception):
    """Leaves the request's transaction with Radicale's answer, rolling it back."""

    def __init__(self, response: Response) -> None:
        super().__init__("rolled back")
        self.response = response


def _status(status_text: str) -> int:
    return int(status_text.split(" ", 1)[0])


def _is_url(value: str) -> bool:
    """Whether a Destination header reads as a URL the way Radicale reads it (unquoted, then
    parsed; an IPv6 host without its bracket or a port that is no number are not)."""
    try:
        _ = urlparse(unquote(value)).port
    except ValueError:
        return False
    return True


def _too_deep(root: ET.Element) -> bool:
    """Whether an element tree nests more than MAX_XML_DEPTH elements (walked without
    recursion, so the check itself cannot overflow)."""
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > MAX_XML_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in element)
    return False


def _wrong_shape(method: str, root: ET.Element) -> outcome.Refused | None:
    """The refusal of a DAV body whose shape Radicale would read blindly (its first child,
    the text of every href, the properties it sets), or None."""
    expected = ROOTS.get(method)
    if expected is not None and root.tag != expected[0]:
        return outcome.Refused(f"A {method} body is a {expected[1]} element.")
    if method == "PROPFIND" and (len(root) == 0 or root[0].tag not in PROPFIND_KINDS):
        return outcome.Refused(
            "A PROPFIND body holds a DAV:prop, DAV:allprop or DAV:propname element."
        )
    if any(not (href.text or "").strip() for href in root.iter(DAV_HREF)):
        return outcome.Refused("A DAV:href element of the request body is empty.")
    if method in ("PROPFIND", "PROPPATCH") and any(
        not child.tag.startswith("{") for prop in root.iter(DAV_PROP) for child in prop
    ):
        # Radicale names every property by its namespace, and fails on one without.
        return outcome.Refused("Each property of a DAV:prop element needs an XML namespace.")
    if root.tag == FREE_BUSY_QUERY and root.find(TIME_RANGE) is None:
        # RFC 4791 9.11: the time range is required; Radicale would fail on its absence.
        return outcome.Refused("A CALDAV:free-busy-query holds a CALDAV:time-range element.")
    if method == "PROPPATCH" and any(True for _ in root.iter(DAV_RESOURCETYPE)):
        # RFC 4918 makes it protected; Radicale would store it and then fail to answer.
        return outcome.Refused(
            "DAV:resourcetype cannot be changed: a calendar stays a calendar.", 403
        )
    return None


def _method(environ: types.WSGIEnviron) -> str:
    return str(environ.get("REQUEST_METHOD", "")).upper()


def _path(environ: types.WSGIEnviron) -> str:
    return repr(environ.get("PATH_INFO", ""))
