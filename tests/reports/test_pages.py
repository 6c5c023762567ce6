"""The KPI page: who may open it, its charts and tables, CSV exports, and a bounded query count."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from lms.reports.charts import Series, bar_chart
from lms.reports.csv import neutralise, to_csv
from tests.access import FORBIDDEN, LOGIN, OK, check_access
from tests.conftest import login
from tests.reports.conftest import bulk_load


def test_only_admins_open_the_reports(app, data):
    people = {
        "anonymous": lambda: None,
        "trainee": lambda: data.t1,
        "trainer": lambda: data.trainer,
        "admin": lambda: data.admin,
    }
    expected = {"anonymous": LOGIN, "trainee": FORBIDDEN, "trainer": FORBIDDEN, "admin": OK}
    for url in ("/reports/", "/reports/pass-rates.csv"):
        check_access(app, "GET", url, expected, people)


def test_unknown_export_is_404(client, data):
    login(client, data.admin.email)
    assert client.get("/reports/nothing.csv").status_code == 404


def test_page_has_accessible_charts_tables_and_exports(client, data):
    login(client, data.admin.email)
    response = client.get("/reports/?country=DE&start=2020-01-01&end=not-a-date")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count('role="img"') == 4
    assert '<title id="chart-pass-rates-title">' in html
    assert "Table view" in html
    assert "/reports/pass-rates.csv?country=DE" in html
    assert ' style="' not in html
    assert "<script>" not in html


def test_csv_export_follows_the_filters(client, data):
    login(client, data.admin.email)
    response = client.get("/reports/accredited.csv?region=Saxony")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert table == [
        ["Organisation", "Country", "Region", "Coaches"],
        ["Agency A", "DE", "Saxony", "2"],
    ]


@pytest.mark.parametrize("text", ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(text):
    assert neutralise(text) == "'" + text
    out = to_csv(["name"], [[text], [-3], [None]])
    assert list(csv.reader(io.StringIO(out)))[1:] == [["'" + text], ["-3"], [""]]


def test_csv_export_neutralises_organisation_names(client, data):
    data.org_a.name = "=HYPERLINK(1)"
    login(client, data.admin.email)
    body = client.get("/reports/accredited.csv").get_data(as_text=True)
    assert "'=HYPERLINK(1)" in body


def test_chart_is_named_described_labelled_and_escaped():
    svg = str(
        bar_chart(
            "c1",
            "Pass <rate>",
            "Described",
            ["Module <b>", "Two"],
            [Series("First", [50.0, None]), Series("All", [75.5, 100])],
            unit="%",
            maximum=100,
        )
    )
    assert svg.startswith("<svg")
    assert 'role="img"' in svg
    assert 'aria-labelledby="c1-title c1-desc"' in svg
    assert "Pass &lt;rate&gt;" in svg
    assert "<b>" not in svg
    assert "75.5%" in svg
    assert "50%" in svg
    assert "–" in svg
    assert "url(#c1-hatch)" in svg  # the second series is hatched, not only coloured


def count_queries(client, url: str) -> int:
    statements: list[str] = []

    def _count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not statement.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO")):
            statements.append(statement)  # savepoints belong to the test harness

    event.listen(sa.Engine, "before_cursor_execute", _count)
    try:
        response = client.get(url)
        assert response.status_code == 200
    finally:
        event.remove(sa.Engine, "before_cursor_execute", _count)
    return len(statements)


def test_dashboards_issue_a_bounded_number_of_queries_whatever_the_data_size(app, data):
    clients = {}
    for name, user in (("trainee", data.t1), ("trainer", data.trainer), ("admin", data.admin)):
        clients[name] = app.test_client()
        login(clients[name], user.email)
    urls = {"trainee": "/", "trainer": "/", "admin": "/reports/"}
    for name, url in urls.items():
        count_queries(clients[name], url)  # the first visit after login does some bookkeeping
    small = {name: count_queries(clients[name], url) for name, url in urls.items()}
    assert bulk_load(data, trainees=800) >= 3000
    large = {name: count_queries(clients[name], url) for name, url in urls.items()}
    assert small == large
    assert max(large.values()) <= 40, large
