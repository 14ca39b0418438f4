"""Request-level tests: the real Radicale with the plugins, in-process, on a real PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.caldav import helpers as h
from tests.caldav.dav import Dav, Login


def test_principal_lists_the_coach_calendars(dav: Dav) -> None:
    me = dav.login.slug
    r = dav("PROPFIND", f"/{me}/", h.propfind("D:displayname", "D:resourcetype"), Depth="1")
    assert r.status_code == 207
    assert h.hrefs(r.data) == sorted(
        [f"/{me}/", f"/{me}/appointments/", f"/{me}/busy/", f"/{me}/office-hours/"]
    )


def test_client_has_only_appointments_and_no_calendars_of_its_own(
    app: Any, client_a: Login
) -> None:
    dav = Dav(app, client_a)
    me = client_a.slug
    r = dav("PROPFIND", f"/{me}/", h.propfind("D:displayname"), Depth="1")
    assert h.hrefs(r.data) == [f"/{me}/", f"/{me}/appointments/"]
    assert dav("MKCALENDAR", f"/{me}/mine/", h.mkcalendar("Mine")).status_code == 403


def test_other_users_and_anonymous_see_nothing(app: Any, dav: Dav, client_a: Login) -> None:
    other = Dav(app, client_a)
    assert other("PROPFIND", f"/{dav.login.slug}/busy/", Depth="0").status_code == 403
    assert other("GET", f"/{dav.login.slug}/appointments/").status_code == 403
    anonymous = Dav(app, Login("", "", ""))
    anonymous.login = Login("nobody", "nobody@example.com", "wrong")
    assert anonymous("PROPFIND", f"/{dav.login.slug}/", Depth="0").status_code == 401


def test_well_known_redirects(dav: Dav) -> None:
    r = dav("PROPFIND", "/.well-known/caldav", Depth="0")
    assert r.status_code in (301, 302, 307, 308)


def test_put_get_delete_with_preconditions(dav: Dav) -> None:
    path = f"/{dav.login.slug}/busy/dentist.ics"
    body = h.event("dentist-1", "20270105T170000Z", "20270105T180000Z")
    created = dav("PUT", path, body, If_None_Match="*")
    assert created.status_code == 201
    etag = created.headers["ETag"]
    assert dav("PUT", path, body, If_None_Match="*").status_code == 412
    got = dav("GET", path)
    assert got.status_code == 200 and "UID:dentist-1" in got.get_data(as_text=True)
    assert got.headers["ETag"] == etag
    changed = h.event("dentist-1", "20270105T170000Z", "20270105T190000Z")
    assert dav("PUT", path, changed, If_Match='"nope"').status_code == 412
    updated = dav("PUT", path, changed, If_Match=etag)
    assert updated.status_code == 204 and updated.headers["ETag"] != etag
    assert dav("DELETE", path, If_Match=etag).status_code == 412
    assert dav("DELETE", path, If_Match=updated.headers["ETag"]).status_code == 200
    assert dav("GET", path).status_code == 404


def test_mkcalendar_with_unicode_name_and_a_uid_used_twice(dav: Dav) -> None:
    me = dav.login.slug
    assert dav("MKCALENDAR", f"/{me}/privé-日本/", h.mkcalendar("Privé ☕")).status_code == 201
    r = dav("PROPFIND", f"/{me}/privé-日本/", h.propfind("D:displayname"), Depth="0")
    assert h.prop(r.data, "D:displayname") == "Privé ☕"
    one = h.event("same-uid", "20270105T170000Z", "20270105T180000Z", summary="Café ☕")
    assert dav("PUT", f"/{me}/privé-日本/a.ics", one).status_code == 201
    assert dav("PUT", f"/{me}/privé-日本/b.ics", one).status_code == 409
    assert "Café ☕" in dav("GET", f"/{me}/privé-日本/a.ics").get_data(as_text=True)
    assert dav("MKCALENDAR", f"/{me}/privé-日本/", h.mkcalendar("again")).status_code == 409


def test_item_over_the_size_limit_is_refused(db_url: str, world: Any, coach: Login) -> None:
    from caldav_plugin.service import make_app

    dav = Dav(make_app(db_url, {"server": {"max_resource_size": "2000"}}), coach)
    big = h.event("big", "20270105T170000Z", "20270105T180000Z", extra="DESCRIPTION:" + "x" * 3000)
    r = dav("PUT", f"/{coach.slug}/busy/big.ics", big)
    assert r.status_code in (412, 413)
    assert dav("GET", f"/{coach.slug}/busy/big.ics").status_code == 404


def test_generated_calendars_are_read_only(dav: Dav) -> None:
    me = dav.login.slug
    body = h.event("x", "20270105T170000Z", "20270105T180000Z")
    assert dav("PUT", f"/{me}/appointments/x.ics", body).status_code == 403
    assert dav("PUT", f"/{me}/office-hours/x.ics", body).status_code == 403
    assert dav("DELETE", f"/{me}/appointments/").status_code == 403
    assert dav("DELETE", f"/{me}/busy/").status_code == 403


def test_time_range_query_includes_recurring_events(dav: Dav) -> None:
    cal = f"/{dav.login.slug}/busy/"
    dav("PUT", cal + "once.ics", h.event("once", "20270105T170000Z", "20270105T180000Z"))
    dav("PUT", cal + "later.ics", h.event("later", "20270301T170000Z", "20270301T180000Z"))
    weekly = h.event("weekly", "20261201T170000Z", "20261201T180000Z", rrule="FREQ=WEEKLY")
    dav("PUT", cal + "weekly.ics", weekly)
    r = dav("REPORT", cal, h.time_range_query("20270104T000000Z", "20270111T000000Z"), Depth="1")
    assert r.status_code == 207
    assert h.hrefs(r.data) == [cal + "once.ics", cal + "weekly.ics"]
    r = dav("REPORT", cal, h.time_range_query("20261101T000000Z", "20261108T000000Z"), Depth="1")
    assert h.hrefs(r.data) == []


def test_multiget(dav: Dav) -> None:
    cal = f"/{dav.login.slug}/busy/"
    dav("PUT", cal + "a.ics", h.event("a", "20270105T170000Z", "20270105T180000Z"))
    r = dav("REPORT", cal, h.multiget(cal + "a.ics", cal + "missing.ics"), Depth="1")
    assert r.status_code == 207
    assert h.hrefs(r.data) == [cal + "a.ics"]
    assert h.gone(r.data) == [cal + "missing.ics"]
    assert b"UID:a" in r.data


def test_sync_collection_add_change_delete_and_invalid_token(dav: Dav) -> None:
    cal = f"/{dav.login.slug}/busy/"
    first = dav("REPORT", cal, h.sync_collection(), Depth="1")
    assert first.status_code == 207 and h.hrefs(first.data) == []
    t0 = h.token(first.data)
    dav("PUT", cal + "a.ics", h.event("a", "20270105T170000Z", "20270105T180000Z"))
    dav("PUT", cal + "b.ics", h.event("b", "20270106T170000Z", "20270106T180000Z"))
    added = dav("REPORT", cal, h.sync_collection(t0), Depth="1")
    assert h.hrefs(added.data) == [cal + "a.ics", cal + "b.ics"]
    t1 = h.token(added.data)
    assert t1 != t0
    assert h.hrefs(dav("REPORT", cal, h.sync_collection(t1), Depth="1").data) == []
    dav("PUT", cal + "a.ics", h.event("a", "20270105T170000Z", "20270105T190000Z"))
    dav("DELETE", cal + "b.ics")
    delta = dav("REPORT", cal, h.sync_collection(t1), Depth="1")
    assert h.hrefs(delta.data) == [cal + "a.ics"]
    assert h.gone(delta.data) == [cal + "b.ics"]
    bad = dav("REPORT", cal, h.sync_collection("urn:x-officehours:sync:nope:1"), Depth="1")
    assert bad.status_code == 403 and b"valid-sync-token" in bad.data
    future = t1.rsplit(":", 1)[0] + ":999"
    assert dav("REPORT", cal, h.sync_collection(future), Depth="1").status_code == 403


def test_ctag_and_sync_token_in_propfind(dav: Dav) -> None:
    cal = f"/{dav.login.slug}/busy/"
    props = h.propfind("CS:getctag", "D:sync-token")
    before = dav("PROPFIND", cal, props, Depth="0").data
    dav("PUT", cal + "a.ics", h.event("a", "20270105T170000Z", "20270105T180000Z"))
    after = dav("PROPFIND", cal, props, Depth="0").data
    assert h.prop(before, "CS:getctag") != h.prop(after, "CS:getctag")
    assert h.prop(before, "D:sync-token") != h.prop(after, "D:sync-token")


def test_free_busy_query(dav: Dav) -> None:
    cal = f"/{dav.login.slug}/busy/"
    dav("PUT", cal + "a.ics", h.event("a", "20270105T170000Z", "20270105T180000Z"))
    r = dav("REPORT", cal, h.free_busy("20270101T000000Z", "20270201T000000Z"), Depth="1")
    assert r.status_code == 200
    text = r.get_data(as_text=True)
    assert "BEGIN:VFREEBUSY" in text and "20270105T170000Z/20270105T180000Z" in text


def test_get_collection_as_one_file(dav: Dav) -> None:
    cal = f"/{dav.login.slug}/busy/"
    dav("PUT", cal + "a.ics", h.event("a", "20270105T170000Z", "20270105T180000Z"))
    dav("PUT", cal + "b.ics", h.event("b", "20270106T170000Z", "20270106T180000Z"))
    r = dav("GET", cal)
    text = r.get_data(as_text=True)
    assert (
        r.status_code == 200
        and text.count("BEGIN:VEVENT") == 2
        and "X-WR-CALNAME;VALUE=TEXT:Busy" in text
    )


def test_office_hours_are_weekly_transparent_events(dav: Dav) -> None:
    r = dav("GET", f"/{dav.login.slug}/office-hours/")
    text = r.get_data(as_text=True)
    assert text.count("RRULE:FREQ=WEEKLY") == 5
    assert "TRANSP:TRANSPARENT" in text and "America/Los_Angeles" in text


def test_time_range_query_matches_instances_not_just_the_enclosing_range(dav: Dav) -> None:
    cal = f"/{dav.login.slug}/busy/"
    tuesdays = "FREQ=WEEKLY;BYDAY=TU;COUNT=10"
    dav(
        "PUT",
        cal + "tue.ics",
        h.event("tue", "20270105T170000Z", "20270105T180000Z", rrule=tuesdays),
    )
    wednesday = dav(
        "REPORT", cal, h.time_range_query("20270113T000000Z", "20270114T000000Z"), Depth="1"
    )
    assert h.hrefs(wednesday.data) == []
    tuesday = dav(
        "REPORT", cal, h.time_range_query("20270112T000000Z", "20270113T000000Z"), Depth="1"
    )
    assert h.hrefs(tuesday.data) == [cal + "tue.ics"]
    after = dav(
        "REPORT", cal, h.time_range_query("20270401T000000Z", "20270402T000000Z"), Depth="1"
    )
    assert h.hrefs(after.data) == []
