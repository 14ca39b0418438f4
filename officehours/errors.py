"""Domain errors: one class per broken rule, each with a stable code.

The database raises them: SQLSTATEs of class OH from the SQL functions, and named constraints.
This module is the one map from both to these classes; ``translate`` is called at the edge of the
core so adapters only ever see ``OfficeHoursError``.
"""

from __future__ import annotations

from typing import ClassVar

import psycopg2
import psycopg2.errors


class OfficeHoursError(Exception):
    """A request broke a rule. ``code`` is stable and documented; ``field`` names the input."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 400
    field: ClassVar[str | None] = None
    sqlstate: ClassVar[str | None] = None
    title: ClassVar[str] = "Something was wrong with the request."
    retry_after: int | None = None
    """Seconds after which trying again may succeed (the Retry-After of the answer): the
    class's default, or what the raiser knows (a sign-in limit's wait)."""

    def __init__(
        self,
        message: str | None = None,
        *,
        month: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        self.message = message or self.title
        self.month = month
        if retry_after is not None:
            self.retry_after = retry_after
        super().__init__(self.message)


def _error(
    code: str,
    status: int,
    title: str,
    sqlstate: str | None = None,
    field: str | None = None,
    *,
    retry_after: int | None = None,
) -> type[OfficeHoursError]:
    name = "".join(part.capitalize() for part in code.split("_"))
    attrs = {
        "code": code,
        "http_status": status,
        "title": title,
        "sqlstate": sqlstate,
        "field": field,
        "retry_after": retry_after,
        "__doc__": title,
        "__module__": __name__,
    }
    return type(name, (OfficeHoursError,), attrs)


NotSignedIn = _error("not_signed_in", 401, "You need to be signed in as an active user.", "OH001")
UnknownUser = _error("unknown_user", 404, "There is no such user.", "OH002")
InactiveUser = _error("inactive_user", 409, "That account is not active.", "OH003")
NoCoachingRelationship = _error(
    "no_coaching_relationship", 409, "No coach is assigned to this client.", "OH004"
)
NotYourAppointment = _error("not_your_appointment", 403, "That appointment is not yours.", "OH005")
UnknownAppointment = _error("unknown_appointment", 404, "There is no such appointment.", "OH006")
Forbidden = _error("forbidden", 403, "You may not do that.", "OH007")
WrongRole = _error("wrong_role", 409, "That user does not have the role this needs.", "OH008")
RangeNotPositive = _error(
    "range_not_positive", 422, "The end must come after the start.", "OH010", "end"
)
InThePast = _error("in_the_past", 422, "That time is in the past.", "OH011", "start")
WrongLength = _error("wrong_length", 422, "A call has a fixed length.", "OH012", "end")
OffGrid = _error(
    "off_grid", 422, "Calls start on the slot grid of the office hours.", "OH013", "start"
)
OutsideOfficeHours = _error(
    "outside_office_hours", 409, "That time is outside the coach's office hours.", "OH014", "start"
)
CoachBusy = _error("coach_busy", 409, "The coach is busy then.", "OH015", "start")
SlotTaken = _error("slot_taken", 409, "That slot has just been taken.", "OH016", "start")
ClientAlreadyBooked = _error(
    "client_already_booked", 409, "You already have a call at that time.", "OH017", "start"
)
BeyondHorizon = _error("beyond_horizon", 422, "That is too far ahead to book.", "OH018", "start")
MonthlyLimit = _error(
    "monthly_limit", 409, "You have booked as many calls as allowed that month.", "OH019", "start"
)
InsideCutoff = _error("inside_cutoff", 409, "It is too late to move or cancel this call.", "OH020")
TooSoon = _error("too_soon", 422, "That is too soon to book.", "OH021", "start")
AlreadyCancelled = _error("already_cancelled", 409, "That call is already cancelled.", "OH022")
SameSlot = _error("same_slot", 409, "The call is already at that time.", "OH023", "start")
InvalidSeries = _error("invalid_series", 422, "A series is 1 to 12 months long.", "OH024", "months")
RangeTooLong = _error("range_too_long", 422, "That range is too long.", "OH025", "to")
NonexistentLocalTime = _error(
    "nonexistent_local_time",
    422,
    "That local time does not exist (the clocks skip it).",
    "OH030",
    "start",
)
AmbiguousLocalTime = _error(
    "ambiguous_local_time",
    422,
    "That local time happens twice (the clocks go back).",
    "OH031",
    "start",
)
InvalidTimeZone = _error(
    "invalid_time_zone", 422, "That is not a known time zone.", "OH032", "time_zone"
)
InvalidRuleValue = _error(
    "invalid_rule_value", 422, "That value is not allowed for this rule.", "OH040", "value"
)
UnknownRule = _error("unknown_rule", 404, "There is no such rule.", "OH041", "name")
AppointmentImmutable = _error(
    "appointment_immutable",
    409,
    "Appointments are changed only by booking, moving or cancelling.",
    "OH050",
)
InvalidCallDetails = _error(
    "invalid_call_details",
    422,
    "Give a video link (https://), a phone number or a place for the call.",
    "OH071",
    "value",
)
InvalidCallText = _error(
    "invalid_call_text",
    422,
    "The text about calls is at most 1000 characters, without control characters.",
    "OH072",
    "details",
)
InvalidNote = _error(
    "invalid_note",
    422,
    "A note is at most 1000 characters, without control characters.",
    "OH073",
    "note",
)
LinkUnknown = _error("link_unknown", 404, "This link is not valid. Ask for a new one.", "OH060")
LinkExpired = _error("link_expired", 410, "This link has expired. Ask for a new one.", "OH061")
LinkUsed = _error("link_used", 410, "This link was used already. Ask for a new one.", "OH062")
EmailTaken = _error("email_taken", 409, "An account with that email exists already.", None, "email")
InvalidEmail = _error("invalid_email", 422, "That is not an email address.", None, "email")
InvalidName = _error(
    "invalid_name",
    422,
    "A name is 1 to 200 characters, without control characters or surrounding spaces.",
    None,
    "name",
)
InvalidOfficeHours = _error(
    "invalid_office_hours",
    422,
    "Office hours must end after they start, on a weekday from Monday to Sunday.",
    None,
    "hours",
)
OfficeHoursOverlap = _error(
    "office_hours_overlap", 409, "Those office hours overlap each other.", None, "hours"
)
InvalidLabel = _error("invalid_label", 422, "A label is at most 100 characters.", None, "label")
InvalidReason = _error(
    "invalid_reason",
    422,
    "A reason is one line of at most 500 characters, without control characters.",
    None,
    "reason",
)
InvalidInput = _error("invalid_input", 400, "Part of the request is not valid.")
Conflict = _error("conflict", 409, "That conflicts with what is stored.")

# Codes of the edges: the website and the JSON API raise these themselves (no SQLSTATE).
CsrfFailed = _error(
    "csrf_failed", 400, "This form has expired. Please go back, reload the page and try again."
)
WrongCredentials = _error(
    "wrong_credentials", 401, "That email and password do not match an account.", None, "password"
)
TooManyAttempts = _error(
    "too_many_attempts",
    429,
    "Too many failed sign-ins. Please wait a little and try again.",
    None,
    "email",
)
WeakPassword = _error(
    "weak_password",
    422,
    "A password needs 12 to 256 characters, not only spaces, and must not be easy to guess.",
    None,
    "new_password",
)
PasswordMismatch = _error(
    "password_mismatch", 422, "The two new passwords are not the same.", None, "confirm"
)
NotFound = _error("not_found", 404, "There is nothing at this address.")
MethodNotAllowed = _error("method_not_allowed", 405, "This address does not take that method.")
NotAcceptable = _error("not_acceptable", 406, "This address cannot answer in that format.")
TooLarge = _error("too_large", 413, "The request is too large.")
UnsupportedMediaType = _error("unsupported_media_type", 415, "Send JSON (application/json).")
TooManyRequests = _error("too_many_requests", 429, "Too many requests; try again later.")
InternalError = _error("internal_error", 500, "Something went wrong on our side.")

_FIELD_CLASSES: dict[str, type[OfficeHoursError]] = {}


def invalid_input(field: str, message: str) -> OfficeHoursError:
    """An ``invalid_input`` error about one form field, query parameter or JSON member: the
    pages show it next to that field and the API names it in the problem's ``field``."""
    cls = _FIELD_CLASSES.get(field)
    if cls is None:
        cls = type(f"InvalidInput_{field}", (InvalidInput,), {"field": field})
        _FIELD_CLASSES[field] = cls
    return cls(message)


# Codes of the service around the rules (no SQLSTATE of ours): ``translate`` maps PostgreSQL's
# connection failures, timeouts and transaction conflicts to them, and the pool raises them
# itself. Both are 503s with Retry-After: nothing was changed, and the same request may succeed
# a little later.
DatabaseUnavailable = _error(
    "database_unavailable",
    503,
    "The booking service cannot reach its database just now. Please try again in a minute.",
    retry_after=30,
)
Busy = _error(
    "busy",
    503,
    "The booking service is busy just now. Please try again in a moment.",
    retry_after=5,
)
SERVICE_ERRORS: tuple[type[OfficeHoursError], ...] = (DatabaseUnavailable, Busy)

ALL_ERRORS: tuple[type[OfficeHoursError], ...] = tuple(
    v
    for v in list(globals().values())
    if isinstance(v, type) and issubclass(v, OfficeHoursError) and v is not OfficeHoursError
)
BY_SQLSTATE: dict[str, type[OfficeHoursError]] = {e.sqlstate: e for e in ALL_ERRORS if e.sqlstate}
BY_CODE: dict[str, type[OfficeHoursError]] = {e.code: e for e in ALL_ERRORS}

# Named constraints of sql/: the name says the rule, and this says the error.
BY_CONSTRAINT: dict[str, type[OfficeHoursError]] = {
    "appointment_no_coach_overlap": SlotTaken,
    "appointment_no_client_overlap": ClientAlreadyBooked,
    "appointment_range_positive": RangeNotPositive,
    "appointment_not_self": WrongRole,
    "appointment_revision_positive": AppointmentImmutable,
    "appointment_token_unique": Conflict,
    "appointment_history_one_per_revision": Conflict,
    "call_details_value_valid": InvalidCallDetails,
    "call_details_text_valid": InvalidCallText,
    "call_details_not_empty": InvalidCallDetails,
    "appointment_call_details_value_valid": InvalidCallDetails,
    "appointment_call_details_text_valid": InvalidCallText,
    "appointment_call_details_not_empty": InvalidCallDetails,
    "appointment_note_valid": InvalidNote,
    "appointment_history_reason_sane": InvalidReason,
    "user_email_unique": EmailTaken,
    "user_email_format": InvalidEmail,
    "user_display_name_sane": InvalidName,
    "user_time_zone_valid": InvalidTimeZone,
    "user_slug_unique": Conflict,
    "user_slug_format": InvalidInput,
    "user_deactivated_at_matches_active": InvalidInput,
    "coaching_not_self": WrongRole,
    "coaching_during_starts": InvalidInput,
    "coaching_one_coach_per_client": Conflict,
    "office_hours_weekday_iso": InvalidOfficeHours,
    "office_hours_end_after_start": InvalidOfficeHours,
    "office_hours_no_overlap": OfficeHoursOverlap,
    "office_hours_exception_shape": InvalidOfficeHours,
    "office_hours_exception_end_after_start": InvalidOfficeHours,
    "office_hours_exception_no_overlap": OfficeHoursOverlap,
    "busy_interval_bounded": RangeNotPositive,
    "busy_interval_source_known": InvalidInput,
    "rule_definition_type_known": InvalidInput,
    "business_rule_one_per_scope": Conflict,
    "business_rule_one_value": InvalidRuleValue,
    "rule_slot_length_sane": InvalidRuleValue,
    "rule_minimum_notice_sane": InvalidRuleValue,
    "rule_booking_horizon_sane": InvalidRuleValue,
    "rule_monthly_limit_sane": InvalidRuleValue,
    "rule_change_cutoff_sane": InvalidRuleValue,
    "rule_history_shown_sane": InvalidRuleValue,
    "rule_reminder_lead_sane": InvalidRuleValue,
    "rule_mail_kept_sane": InvalidRuleValue,
    "rule_calls_kept_sane": InvalidRuleValue,
    "rule_retention_is_global": InvalidRuleValue,
    "rule_caldav_changes_kept_sane": InvalidRuleValue,
    "rule_caldav_changes_kept_is_global": InvalidRuleValue,
    "rule_account_links_kept_sane": InvalidRuleValue,
    "rule_account_links_kept_is_global": InvalidRuleValue,
    "rule_duration_canonical": InvalidRuleValue,
    "credential_handle_unique": Conflict,
    "credential_hash_unique": Conflict,
    "credential_label_sane": InvalidLabel,
    # The mail outbox (0006): only the mailer and operators write it.
    "mail_outbox_public_id_unique": Conflict,
    "mail_outbox_one_per_change": Conflict,
    "mail_outbox_attempts_sane": InvalidInput,
    "mail_outbox_finished_matches_state": InvalidInput,
    "mail_outbox_revision_positive": InvalidInput,
    # CalDAV storage (0010).
    "caldav_change_in_owners_collection": InvalidInput,
    "caldav_change_one_per_href": Conflict,
    "caldav_collection_id_owner_unique": Conflict,
    "caldav_collection_kind_known": InvalidInput,
    "caldav_collection_name_sane": InvalidInput,
    "caldav_collection_name_unique": Conflict,
    "caldav_collection_props_object": InvalidInput,
    "caldav_collection_revision_counts": InvalidInput,
    "caldav_collection_sync_floor_sane": InvalidInput,
    "caldav_item_fbtype_known": InvalidInput,
    "caldav_item_href_sane": InvalidInput,
    "caldav_item_href_unique": Conflict,
    "caldav_item_in_owners_collection": InvalidInput,
    "caldav_item_uid_unique": Conflict,
    # The website's sign-in and calendar feeds (0020).
    "feed_token_hash_unique": Conflict,
    "feed_token_one_active_per_user": Conflict,
    # Website sessions and the limits on failed sign-ins (0031): only SQL functions write them.
    "web_session_hash_unique": Conflict,
    "web_session_seen_after_start": InvalidInput,
    "sign_in_limit_attempts_sane": InvalidInput,
    "sign_in_limit_delays_sane": InvalidInput,
    "sign_in_counter_failures_sane": InvalidInput,
    "sign_in_counter_key_sane": InvalidInput,
    # Password links and their mail (0050): only SQL functions write them.
    "account_link_hash_unique": Conflict,
    "account_link_expires_after_creation": InvalidInput,
    "account_link_used_or_revoked": InvalidInput,
    "account_mail_public_id_unique": Conflict,
    "account_mail_one_per_link": Conflict,
    "account_mail_attempts_sane": InvalidInput,
    "account_mail_finished_matches_state": InvalidInput,
    "account_mail_secret_only_pending": InvalidInput,
    "account_mail_secret_while_pending": InvalidInput,
    "rule_welcome_link_valid_sane": InvalidRuleValue,
}


def raised_by(error: type[OfficeHoursError]) -> str:
    """Where an error comes from, in words (for the docs)."""
    if error.sqlstate:
        return f"SQL function, SQLSTATE {error.sqlstate}"
    if error in SERVICE_ERRORS:
        return "connection pool and database state"
    if error in BY_CONSTRAINT.values():
        return "named constraint"
    return "website and API"


# PostgreSQL's SQLSTATEs for a server that is going away or not there yet (class 08 too).
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "57P05"})
# Waits that hit a limit of ours, and transactions PostgreSQL ended to resolve a conflict; and
# class 53, a server out of resources (connections, memory, disk), which passes too.
_BUSY_STATES = frozenset({"55P03", "57014", "40001", "40P01"})
_BUSY_CLASS = "53"


def is_connection_failure(exc: psycopg2.Error) -> bool:
    """True when ``exc`` means the connection is gone or the server is not answering: no
    SQLSTATE at all (refused, reset, closed), class 08, or a server shutting down."""
    state = exc.pgcode or ""
    if isinstance(exc, psycopg2.InterfaceError):
        return True
    if state.startswith("08") or state in _UNAVAILABLE_STATES:
        return True
    return not state and isinstance(exc, psycopg2.OperationalError)


def translate(exc: psycopg2.Error) -> OfficeHoursError | None:
    """The domain error for a database error, or None when it is not a broken rule (a bug,
    which the caller lets propagate).

    Outages become ``DatabaseUnavailable``; a lock or statement timeout, a deadlock, a
    serialization failure or a server out of connections, memory or disk become ``Busy``:
    the ``SERVICE_ERRORS``, every part's one definition of "try again later".
    """
    if is_connection_failure(exc):
        return DatabaseUnavailable()
    state = exc.pgcode or ""
    if state in _BUSY_STATES or state.startswith(_BUSY_CLASS):
        return Busy()
    diag = exc.diag
    message = diag.message_primary if diag is not None else None
    month = None
    if diag is not None and diag.message_detail and diag.message_detail.startswith("month="):
        month = diag.message_detail.removeprefix("month=")
    if state in BY_SQLSTATE:
        return BY_SQLSTATE[state](message, month=month)
    constraint = diag.constraint_name if diag is not None else None
    if constraint in BY_CONSTRAINT:
        cls = BY_CONSTRAINT[constraint]
        return cls(month=month) if month is None else cls(message, month=month)
    # Below, PostgreSQL's own words ("time zone displacement out of range: ...") would reach
    # users: they get ours, and the database's stay on the exception's cause for the logs.
    if state.startswith("22") or state in ("23502", "23514"):
        # Data exceptions (bad casts, out-of-range values) and unnamed CHECK/NOT NULL violations.
        return InvalidInput()
    if state.startswith("23"):
        return Conflict()
    return None
