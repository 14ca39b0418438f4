"""Every route of the website and the JSON API, with the inputs it reads and a good value for
each, for tests/web/test_fuzz.py.

tests/web/test_fuzz.py checks this list against the app: it names every endpoint of
``app.url_map``, and a good request to each reads no query parameter or form field that is not
listed here (the requests are recorded). A new route, or a new field of an old one, fails that
test until it is listed here, and so fuzzed.

Good values may name the scene of the test: {call} (a booked call of client A), {token_handle}
and {app_handle} (A's API token and app password), {feed} (A's feed secret), {a}, {x}, {y},
{admin} (slugs), {n} (a number new for each request, so a form that makes something accepted
once does not refuse the next for a duplicate).
"""

from __future__ import annotations

from dataclasses import dataclass, field

CLIENT = ("a",)
COACH = ("x",)
ADMIN = ("admin",)
SIGNED_IN = ("a", "x", "admin")
CALL_SIDES = ("a", "x")  # the client of the call and their coach
ANYONE = ("anon",)


@dataclass(frozen=True)
class Route:
    """What one endpoint reads, and as whom to send it (besides anonymous, always tried)."""

    method: str
    path: str
    roles: tuple[str, ...]
    query: dict[str, str] = field(default_factory=dict)
    form: dict[str, str] = field(default_factory=dict)
    json: dict[str, str] | None = None
    # Fields whose request checks or hashes a password (argon2: a third of a second each), so
    # fuzzed with fewer values.
    slow: tuple[str, ...] = ()


SLOT = "2027-01-06T17:00:00Z"  # a free slot of coach X (09:00 Wednesday in Los Angeles)
CALL_DETAILS = {"kind": "video", "value": "https://meet.example.org/x", "details": "Camera off."}
# A link to set a password that was never made: the pages answer 404 with our message.
UNKNOWN_LINK = "A" * 43
HOURS = {"day-1-0-start": "09:00", "day-1-0-end": "12:00", "day-7-1-start": "", "day-7-1-end": ""}

ROUTES: dict[str, Route] = {
    "static": Route("GET", "/static/style.css", ANYONE),
    "health.healthz": Route("GET", "/healthz", ANYONE),
    "health.livez": Route("GET", "/livez", ANYONE),
    "auth.signin": Route("GET", "/signin", ANYONE, query={"next": "/book?week=2027-01-11"}),
    "auth.signin_post": Route(
        "POST",
        "/signin",
        ANYONE,
        form={"email": "a@example.com", "password": "wrong password", "next": "/book"},
        slow=("email", "password", "next"),
    ),
    "auth.signout": Route("POST", "/signout", SIGNED_IN),
    "password_links.forgot": Route("GET", "/password/forgot", ANYONE, query={"email": "a@x.org"}),
    "password_links.forgot_post": Route(
        "POST", "/password/forgot", ANYONE, form={"email": "fuzz{n}@example.com"}
    ),
    "password_links.link": Route("GET", "/password/" + UNKNOWN_LINK, ANYONE),
    "password_links.set_password": Route(
        "POST",
        "/password/" + UNKNOWN_LINK,
        ANYONE,
        form={"new_password": "a new long password", "confirm": "a new long password"},
        slow=("new_password", "confirm"),
    ),
    "booking.home": Route("GET", "/", SIGNED_IN),
    "booking.week": Route("GET", "/book", CLIENT, query={"week": "2027-01-11", "go": "2027-02"}),
    "booking.confirm": Route("GET", "/book/confirm", CLIENT, query={"start": SLOT}),
    "booking.book": Route(
        "POST", "/book", CLIENT, form={"start": SLOT, "months": "1", "note": "Sleep"}
    ),
    "appointments.mine": Route(
        "GET",
        "/appointments",
        SIGNED_IN,
        query={"before": "2027-01-04T12:00:00Z", "before_token": "AAAAAAAAAAAAAAAAAAAAAA"},
    ),
    "appointments.detail": Route("GET", "/appointments/{call}", CALL_SIDES),
    "appointments.download": Route("GET", "/appointments/{call}.ics", CALL_SIDES),
    "appointments.move_week": Route(
        "GET",
        "/appointments/{call}/move",
        CALL_SIDES,
        query={"week": "2027-01-11", "go": "2027-02"},
    ),
    "appointments.move_confirm": Route(
        "GET", "/appointments/{call}/move/confirm", CALL_SIDES, query={"start": SLOT}
    ),
    "appointments.move": Route(
        "POST",
        "/appointments/{call}/move",
        CALL_SIDES,
        form={"start": SLOT, "reason": "A training day"},
    ),
    "appointments.cancel_confirm": Route("GET", "/appointments/{call}/cancel", CALL_SIDES),
    "appointments.cancel": Route(
        "POST", "/appointments/{call}/cancel", CALL_SIDES, form={"reason": "I am ill"}
    ),
    "series.confirm": Route(
        "GET", "/appointments/{call}/series/cancel", CALL_SIDES, query={"from": "this"}
    ),
    "series.cancel": Route(
        "POST", "/appointments/{call}/series/cancel", CALL_SIDES, form={"from": "all"}
    ),
    "calendar.page": Route("GET", "/calendar", SIGNED_IN),
    "calendar.new_feed": Route("POST", "/calendar/feed", SIGNED_IN),
    "calendar.revoke_feed": Route("POST", "/calendar/feed/revoke", SIGNED_IN),
    "calendar.new_app_password": Route(
        "POST", "/calendar/app-passwords", SIGNED_IN, form={"label": "Phone {n}"}
    ),
    "calendar.revoke_app_password": Route(
        "POST", "/calendar/app-passwords/{app_handle}/revoke", CLIENT
    ),
    "calendar.feed": Route("GET", "/feed/{feed}.ics", ANYONE),
    "account.page": Route("GET", "/account", SIGNED_IN),
    "account.end_sessions": Route("POST", "/account/sessions/end", SIGNED_IN),
    "account.password": Route(
        "POST",
        "/account/password",
        CLIENT,
        form={
            "current_password": "not the password",
            "new_password": "a new long password",
            "confirm": "a new long password",
        },
        slow=("current_password", "new_password", "confirm"),
    ),
    "account.profile": Route(
        "POST",
        "/account/profile",
        SIGNED_IN,
        form={"name": "Fuzz Person {n}", "time_zone": "Europe/Paris"},
    ),
    "account.create_token": Route("POST", "/account/tokens", SIGNED_IN, form={"label": "Bot {n}"}),
    "account.revoke_token": Route("POST", "/account/tokens/{token_handle}/revoke", CLIENT),
    "coach.schedule": Route(
        "GET",
        "/coach/schedule",
        COACH,
        query={"before": "2027-01-04T12:00:00Z", "before_token": "AAAAAAAAAAAAAAAAAAAAAA"},
    ),
    "coach_booking.week": Route(
        "GET", "/coach/clients/{a}/book", COACH, query={"week": "2027-01-11"}
    ),
    "coach_booking.confirm": Route(
        "GET", "/coach/clients/{a}/book/confirm", COACH, query={"start": SLOT}
    ),
    "coach_booking.book": Route("POST", "/coach/clients/{a}/book", COACH, form={"start": SLOT}),
    "admin_bookings.bookings": Route(
        "GET",
        "/admin/bookings",
        ADMIN,
        query={
            "coach": "x@example.com",
            "client": "{a}",
            "from": "2027-01-01",
            "to": "2027-02-01",
            "after": "2027-01-04T12:00:00Z",
            "after_token": "AAAAAAAAAAAAAAAAAAAAAA",
        },
    ),
    "coach.clients": Route("GET", "/coach/clients", COACH),
    "coach.hours": Route("GET", "/coach/hours", COACH),
    "coach.save_hours": Route("POST", "/coach/hours", COACH, form=HOURS),
    "coach.add_exception": Route(
        "POST",
        "/coach/exceptions",
        COACH,
        form={"on_date": "2027-02-01", "start": "10:00", "end": "12:00"},
    ),
    "coach.clear_exception": Route(
        "POST", "/coach/exceptions/clear", COACH, form={"on_date": "2027-02-01"}
    ),
    "call_details.mine": Route("GET", "/coach/details", COACH),
    "call_details.save_mine": Route("POST", "/coach/details", COACH, form=CALL_DETAILS),
    "call_details.of_coach": Route("GET", "/admin/coaches/{x}/details", ADMIN),
    "call_details.save_of_coach": Route(
        "POST", "/admin/coaches/{x}/details", ADMIN, form=CALL_DETAILS
    ),
    "call_details.of_call": Route("GET", "/appointments/{call}/details", CALL_SIDES + ADMIN),
    "call_details.save_of_call": Route(
        "POST",
        "/appointments/{call}/details",
        CALL_SIDES + ADMIN,
        form={**CALL_DETAILS, "own": "yes"},
    ),
    "call_details.note": Route("GET", "/appointments/{call}/note", CLIENT),
    "call_details.save_note": Route(
        "POST", "/appointments/{call}/note", CLIENT, form={"note": "I'd like to talk about sleep"}
    ),
    "admin.mail": Route("GET", "/admin/mail", ADMIN),
    "admin.users": Route(
        "GET",
        "/admin/users",
        ADMIN,
        query={"q": "coach", "role": "coach", "after": "{x}", "before": ""},
    ),
    "admin.add_user": Route(
        "POST",
        "/admin/users",
        ADMIN,
        form={
            "email": "fuzz{n}@example.com",
            "name": "Fuzz {n}",
            "role": "client",
            "time_zone": "Europe/Paris",
            "password": "",
        },
        slow=("password",),
    ),
    "admin_users.page": Route("GET", "/admin/users/{y}", ADMIN),
    "admin_users.update": Route(
        "POST",
        "/admin/users/{y}",
        ADMIN,
        form={
            "name": "Yara Coach",
            "email": "y@example.com",
            "time_zone": "Europe/London",
            "role": "coach",
        },
    ),
    "admin_users.send_link": Route(
        "POST", "/admin/users/{y}/password-link", ADMIN, form={"kind": "welcome"}
    ),
    "admin_users.confirm_deactivate": Route("GET", "/admin/users/{y}/deactivate", ADMIN),
    "admin_users.deactivate": Route("POST", "/admin/users/{y}/deactivate", ADMIN),
    "admin.set_active": Route("POST", "/admin/users/{y}/active", ADMIN, form={"active": "1"}),
    "admin.end_sessions": Route("POST", "/admin/users/{y}/sessions/end", ADMIN),
    "admin.assignments": Route(
        "GET", "/admin/assignments", ADMIN, query={"q": "client", "after": "{a}", "before": ""}
    ),
    "admin.assign": Route(
        "POST", "/admin/assignments", ADMIN, form={"client": "{a}", "coach": "{x}"}
    ),
    "admin.rules": Route("GET", "/admin/rules", ADMIN, query={"coach": "{x}", "q": "coach"}),
    "admin.set_rule": Route(
        "POST",
        "/admin/rules",
        ADMIN,
        form={"name": "minimum_notice", "value": "12 hours", "coach": "{x}"},
    ),
    "admin.unset_rule": Route(
        "POST", "/admin/rules/unset", ADMIN, form={"name": "minimum_notice", "coach": "{x}"}
    ),
    "api.openapi": Route("GET", "/api/v1/openapi.json", ANYONE),
    "api.me": Route("GET", "/api/v1/me", SIGNED_IN),
    "api.availability": Route(
        "GET",
        "/api/v1/availability",
        SIGNED_IN,
        query={"from": "2027-01-05T00:00:00Z", "to": "2027-01-08T00:00:00Z", "coach": "{x}"},
    ),
    "api.appointments": Route("GET", "/api/v1/appointments", SIGNED_IN),
    "api.book": Route(
        "POST", "/api/v1/appointments", CLIENT, json={"start": SLOT, "note": "About sleep"}
    ),
    "api.appointment": Route("GET", "/api/v1/appointments/{call}", CALL_SIDES),
    "api.appointment_ics": Route("GET", "/api/v1/appointments/{call}.ics", CALL_SIDES),
    "api.move": Route("PATCH", "/api/v1/appointments/{call}", CALL_SIDES, json={"start": SLOT}),
    "api.note": Route(
        "PUT", "/api/v1/appointments/{call}/note", CLIENT, json={"note": "About sleep"}
    ),
    "api.cancel": Route("DELETE", "/api/v1/appointments/{call}", CALL_SIDES),
}
