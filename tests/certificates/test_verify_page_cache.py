"""The verify page keeps its rendered content, and never shows a stale one."""

import sqlalchemy as sa

from lms.accounts.models import User
from lms.certificates import services
from lms.certificates.models import Certificate
from lms.db import db
from lms.verify import views
from tests.factories import admin


def _record(public_id: str) -> Certificate:
    return db.session.scalar(sa.select(Certificate).filter_by(public_id=public_id))


def test_a_second_view_reuses_the_rendered_content(app, client, issued, monkeypatch):
    views.bodies.clear()
    renders = []
    original = app.jinja_env.get_template

    def counting(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name == "verify/_result_body.html":
            renders.append(name)
        return original(name, *args, **kwargs)

    first = client.get(f"/verify/{issued.public_id}").get_data(as_text=True)
    monkeypatch.setattr(app.jinja_env, "get_template", counting)
    second = client.get(f"/verify/{issued.public_id}").get_data(as_text=True)
    assert renders == []
    assert "VALID" in second
    strip = lambda text: text.split('<main id="main"', 1)[1]  # noqa: E731 (the page's own part)
    assert strip(first) == strip(second)


def test_revocation_shows_at_once_after_a_cached_view(app, client, issued):
    assert "VALID" in client.get(f"/verify/{issued.public_id}").get_data(as_text=True)
    with app.app_context():
        services.revoke(_record(issued.public_id), "Found copied", admin())
        db.session.commit()
    text = client.get(f"/verify/{issued.public_id}").get_data(as_text=True)
    assert "REVOKED" in text
    assert "Found copied" in text
    assert "This certificate is genuine and in force." not in text


def test_a_changed_holder_name_and_another_language_are_not_served_from_the_cache(
    app, client, issued
):
    assert issued.holder_name in client.get(f"/verify/{issued.public_id}").get_data(as_text=True)
    with app.app_context():
        holder = db.session.get(User, _record(issued.public_id).user_id)
        holder.name = "Renamed Holder"
        db.session.commit()
    text = client.get(f"/verify/{issued.public_id}").get_data(as_text=True)
    assert "Renamed Holder" in text
    client.set_cookie("lms_locale", "de")
    german = client.get(f"/verify/{issued.public_id}").get_data(as_text=True)
    assert "GÜLTIG" in german
    assert "NICHT GÜLTIG" not in german
    assert "This certificate is genuine and in force." not in german


def test_a_kept_page_sets_no_cookie_and_its_switcher_works_for_each_visitor(
    app, issued, csrf_enabled
):
    views.bodies.clear()
    first, second = app.test_client(), app.test_client()
    responses = [c.get(f"/verify/{issued.public_id}") for c in (first, second)]
    pages = [response.get_data(as_text=True) for response in responses]
    assert pages[0] == pages[1]
    assert all("Set-Cookie" not in response.headers for response in responses)
    assert all("csrf_token" not in page and "nonce-" not in page for page in pages)
    for client in (first, second):
        switched = client.post(
            "/language",
            data={"locale": "fr", "next": f"/verify/{issued.public_id}"},
            headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
        )
        assert switched.status_code == 303
        french = client.get(f"/verify/{issued.public_id}").get_data(as_text=True)
        assert '<html lang="fr">' in french


def test_a_signed_in_visitor_gets_their_own_layout_not_the_kept_one(app, client, issued):
    from tests.conftest import login
    from tests.factories import trainee

    anonymous = app.test_client().get(f"/verify/{issued.public_id}").get_data(as_text=True)
    with app.app_context():
        person = trainee(name="Signed In Person")
        email = person.email
        db.session.commit()
    login(client, email)
    page = client.get(f"/verify/{issued.public_id}").get_data(as_text=True)
    assert "Signed In Person" in page
    assert "Signed In Person" not in anonymous
