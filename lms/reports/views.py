"""The accreditation body's KPI page and its CSV exports."""

from __future__ import annotations

import dataclasses
import datetime as dt
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from lms.accounts.models import Organisation, Role
from lms.caching import BoundedCache
from lms.cohorts.models import Cohort
from lms.courses.models import Course
from lms.db import db, utcnow
from lms.permissions import role_required
from lms.reports import dashboards, queries
from lms.reports.charts import Series, bar_chart
from lms.reports.csv import to_csv

bp = Blueprint("reports", __name__, url_prefix="/reports")


def _date_arg(name: str) -> dt.date | None:
    text = request.args.get(name, "").strip()
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _int_arg(name: str) -> int | None:
    text = request.args.get(name, "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def filters_from_request() -> queries.Filters:
    """Read the filters from the query string; what cannot be read is ignored."""
    return queries.Filters(
        start=_date_arg("start"),
        end=_date_arg("end"),
        course_id=_int_arg("course"),
        cohort_id=_int_arg("cohort"),
        organisation_id=_int_arg("organisation"),
        country=request.args.get("country", "").strip()[:2].upper() or None,
        region=request.args.get("region", "").strip()[:120] or None,
    )


def _choices() -> dict[str, list[Any]]:
    """The filters' options, as plain values (they may be kept beyond this request): the
    courses, cohorts and organisations in one statement (UNION ALL), each sorted by name; the
    countries and regions are those of the organisations."""
    kind = sa.literal_column("kind")
    rows = db.session.execute(
        sa.union_all(
            sa.select(
                sa.literal("organisation").label("kind"),
                Organisation.id.label("id"),
                Organisation.name.label("name"),
                Organisation.country.label("country"),
                Organisation.region.label("region"),
            ),
            sa.select(sa.literal("course"), Course.id, Course.title, sa.null(), sa.null()),
            sa.select(sa.literal("cohort"), Cohort.id, Cohort.name, sa.null(), sa.null()),
        ).order_by(kind, sa.literal_column("name"))
    ).all()
    courses = [SimpleNamespace(id=r.id, title=r.name) for r in rows if r.kind == "course"]
    cohorts = [SimpleNamespace(id=r.id, name=r.name) for r in rows if r.kind == "cohort"]
    organisations = [r for r in rows if r.kind == "organisation"]
    return {
        "courses": courses,
        "cohorts": cohorts,
        "organisations": [SimpleNamespace(id=r.id, name=r.name) for r in organisations],
        "countries": sorted({r.country for r in organisations}),
        "regions": sorted({r.region for r in organisations if r.region}),
    }


def kpi_charts(tables: dict[str, queries.Table]) -> dict[str, object]:
    """One accessible chart per table that has something to draw."""
    rates = tables["pass-rates"]
    months = tables["certificates-per-month"]
    accredited = tables["accredited"]
    submissions = tables["submissions"]
    return {
        "pass-rates": bar_chart(
            "chart-pass-rates",
            rates.title,
            _("First-attempt and overall pass rate per module, in percent."),
            [str(r[0]) for r in rates.rows],
            [
                Series(_("First attempt"), [r[2] for r in rates.rows]),
                Series(_("Overall"), [r[3] for r in rates.rows]),
            ],
            unit="%",
            maximum=100,
        ),
        "submissions": bar_chart(
            "chart-submissions",
            submissions.title,
            _("Number of submissions in each state."),
            [str(r[0]) for r in submissions.rows],
            [Series(_("Submissions"), [r[1] for r in submissions.rows])],
        ),
        "certificates-per-month": bar_chart(
            "chart-certificates-per-month",
            months.title,
            _("Per month: certificates issued (renewals among them), expired and revoked."),
            [str(r[0]) for r in months.rows],
            [
                Series(_("Issued"), [r[1] for r in months.rows]),
                Series(_("Renewals"), [r[2] for r in months.rows]),
                Series(_("Expired"), [r[3] for r in months.rows]),
                Series(_("Revoked"), [r[4] for r in months.rows]),
            ],
        ),
        "accredited": bar_chart(
            "chart-accredited",
            accredited.title,
            _("Coaches holding a valid certificate, per organisation."),
            [f"{r[0]} ({r[1]}, {r[2]})" if r[1] else str(r[0]) for r in accredited.rows],
            [Series(_("Coaches"), [r[3] for r in accredited.rows])],
        ),
    }


#: The KPI tables last computed for each filter and language, with when they were.
figures: BoundedCache[tuple[dt.datetime, dict[str, Any]]] = BoundedCache(64)


def kpi_figures(filters: queries.Filters) -> tuple[dt.datetime, dict[str, Any]]:
    """The KPI tables, their charts and the filters' options, and the moment they were
    computed: kept for REPORTS_CACHE_SECONDS (60 by default, 0 in tests unless set) per
    filter and language, so that each aggregate over the whole database runs at most once a
    minute. The page states the moment; `?fresh=1` recomputes."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def compute() -> tuple[dt.datetime, dict[str, Any]]:
        computed_at = utcnow()
        tables = queries.all_tables(filters)
        return computed_at, {
            "tables": tables,
            "charts": kpi_charts(tables),
            "choices": _choices(),
        }

    return figures.get_or_compute(
        (dataclasses.astuple(filters), str(get_locale()), id(app)),
        compute,
        dashboards.cache_seconds(),
        refresh=request.args.get("fresh") == "1",
    )


@bp.route("/")
@role_required(Role.ADMIN)
def index():  # type: ignore[no-untyped-def]
    filters = filters_from_request()
    computed_at, computed = kpi_figures(filters)
    return render_template(
        "reports/index.html",
        filters=filters,
        computed_at=computed_at,
        query_string=request.query_string.decode("ascii", "ignore"),
        **computed,
    )


@bp.route("/<name>.csv")
@role_required(Role.ADMIN)
def export(name: str):  # type: ignore[no-untyped-def]
    build = queries.TABLES.get(name)
    if build is None:
        abort(404)
    table = build(filters_from_request())
    return Response(
        to_csv(table.columns, table.rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
