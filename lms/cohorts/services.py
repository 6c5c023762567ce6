"""Cohorts: creating and changing runs of a course, their deadlines and their members."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import format_number
from flask_babel import gettext as _

from lms.accounts.models import Role, User
from lms.accounts.services import (
    AccountError,
    create_user,
    find_user_by_email,
    normalise_email,
    send_invitation,
)
from lms.audit import services as audit
from lms.cohorts import queries
from lms.cohorts.models import Cohort, CohortDeadline, CohortMember, LatePolicy, MemberRole
from lms.courses.models import Course
from lms.db import db

#: The most people one CSV file may enrol; larger lists are split into several files.
MAX_CSV_ROWS = 2000
MAX_NAME_LENGTH = 200
#: Other spellings accepted in a CSV header.
COLUMN_ALIASES = {"e-mail": "email", "e-mail address": "email", "email address": "email"}


class CohortError(ValueError):
    """A request about a cohort that cannot be carried out; `field` names the form field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- The cohort itself ------------------------------------------------------------------------


def create_cohort(
    course: Course,
    *,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date,
    late_policy: LatePolicy,
    blind_marking: bool,
    moderation: bool,
    actor: User,
) -> Cohort:
    """Start a new run of `course`; raise CohortError for a bad name or dates."""
    name = _checked(course, None, name, starts_on, ends_on)
    cohort = Cohort(
        course=course,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        late_policy=late_policy,
        blind_marking=blind_marking,
        moderation=moderation,
    )
    db.session.add(cohort)
    db.session.flush()
    audit.record("cohort.created", "cohorts", cohort.id, actor=actor, **_snapshot(cohort))
    return cohort


def update_cohort(
    cohort: Cohort,
    *,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date,
    late_policy: LatePolicy,
    blind_marking: bool,
    moderation: bool,
    actor: User,
) -> None:
    """Change a cohort's name, dates and marking rules, recording before and after."""
    name = _checked(cohort.course, cohort, name, starts_on, ends_on)
    before = _snapshot(cohort)
    cohort.name = name
    cohort.starts_on = starts_on
    cohort.ends_on = ends_on
    cohort.late_policy = late_policy
    cohort.blind_marking = blind_marking
    cohort.moderation = moderation
    db.session.flush()
    after = _snapshot(cohort)
    if before != after:
        audit.record(
            "cohort.updated", "cohorts", cohort.id, actor=actor, before=before, after=after
        )


def _checked(
    course: Course, cohort: Cohort | None, name: str, starts_on: dt.date, ends_on: dt.date
) -> str:
    """Return the cleaned name, or raise CohortError naming the field at fault."""
    name = name.strip()
    if not name:
        raise CohortError(_("Give the cohort a name."), "name")
    if len(name) > MAX_NAME_LENGTH:
        raise CohortError(
            _("The name can have at most %(max)d characters.", max=MAX_NAME_LENGTH), "name"
        )
    if ends_on < starts_on:
        raise CohortError(_("The cohort cannot end before it starts."), "ends_on")
    clash = db.session.scalar(
        sa.select(Cohort.id).where(Cohort.course_id == course.id, Cohort.name == name)
    )
    if clash is not None and (cohort is None or clash != cohort.id):
        raise CohortError(_("This course already has a cohort with this name."), "name")
    return name


def _snapshot(cohort: Cohort) -> dict[str, object]:
    return {
        "course_id": cohort.course.id,
        "name": cohort.name,
        "starts_on": cohort.starts_on.isoformat(),
        "ends_on": cohort.ends_on.isoformat(),
        "late_policy": cohort.late_policy.value,
        "blind_marking": cohort.blind_marking,
        "moderation": cohort.moderation,
    }


# --- Deadlines ------------------------------------------------------------------------------


def set_deadlines(cohort: Cohort, deadlines: Mapping[int, dt.datetime | None], actor: User) -> None:
    """Set (or, for None, remove) the submission deadline of assessed modules by module id.

    Modules not in `deadlines` keep theirs; a module that is not an assessed module of the
    cohort's course is refused, and so is a naive datetime (its meaning is ambiguous).
    """
    assessed = {module.id for module in queries.assessed_modules(cohort.course)}
    unknown = set(deadlines) - assessed
    if unknown:
        raise CohortError(_("Deadlines can only be set for the course's assessed modules."))
    current = {row.module_id: row for row in cohort.deadlines}
    changes: dict[str, str | None] = {}
    for module_id, due_at in sorted(deadlines.items()):
        row = current.get(module_id)
        if due_at is None:
            if row is not None:
                cohort.deadlines.remove(row)
                changes[str(module_id)] = None
            continue
        if due_at.tzinfo is None:
            raise CohortError(_("A deadline needs a time zone."))
        due_at = due_at.astimezone(dt.UTC)
        if row is None:
            cohort.deadlines.append(CohortDeadline(module_id=module_id, due_at=due_at))
        elif row.due_at == due_at:
            continue
        else:
            row.due_at = due_at
        changes[str(module_id)] = due_at.isoformat()
    db.session.flush()
    if changes:
        audit.record("cohort.deadlines_set", "cohorts", cohort.id, actor=actor, deadlines=changes)


# --- Members --------------------------------------------------------------------------------


def enrol(
    cohort: Cohort, user: User, role: MemberRole, *, actor: User, lead: bool = False
) -> CohortMember:
    """Add `user` to `cohort` as a trainee or trainer (a lead trainer if `lead`)."""
    if lead and role is not MemberRole.TRAINER:
        raise CohortError(_("Only a trainer can lead a cohort."), "lead")
    problem = _enrolment_problem(user, role, _roles_in(cohort))
    if problem:
        raise CohortError(problem, "email")
    member = CohortMember(user=user, role=role, lead=lead)
    cohort.members.append(member)
    db.session.flush()
    audit.record(
        "cohort.member_enrolled",
        "cohorts",
        cohort.id,
        actor=actor,
        user_id=user.id,
        role=role.value,
        lead=lead,
    )
    return member


def enrol_by_email(
    cohort: Cohort, email: str, role: MemberRole, *, actor: User, lead: bool = False
) -> CohortMember:
    """Enrol the person with this e-mail address; raise CohortError if there is nobody."""
    user = find_user_by_email(email)
    if user is None:
        raise CohortError(
            _(
                "Nobody has an account with this e-mail address. Invite them first, "
                "or enrol them with a CSV file that gives their name."
            ),
            "email",
        )
    return enrol(cohort, user, role, actor=actor, lead=lead)


def unenrol(cohort: Cohort, user: User, role: MemberRole, *, actor: User) -> None:
    """Remove `user` in `role` from `cohort`."""
    member = next((m for m in cohort.members if m.user_id == user.id and m.role is role), None)
    if member is None:
        raise CohortError(_("%(email)s is not in this cohort in that role.", email=user.email))
    cohort.members.remove(member)
    db.session.flush()
    audit.record(
        "cohort.member_unenrolled",
        "cohorts",
        cohort.id,
        actor=actor,
        user_id=user.id,
        role=role.value,
    )


def _roles_in(cohort: Cohort) -> dict[int, MemberRole]:
    rows = db.session.execute(
        sa.select(CohortMember.user_id, CohortMember.role).where(
            CohortMember.cohort_id == cohort.id
        )
    )
    return {user_id: role for user_id, role in rows}


def _enrolment_problem(user: User, role: MemberRole, members: Mapping[int, MemberRole]) -> str:
    """Why `user` cannot join as `role`, given the cohort's members; "" if they can."""
    if not user.active:
        return _("The account of %(email)s is deactivated.", email=user.email)
    if not user.has_role(Role(role.value)):
        if role is MemberRole.TRAINER:
            return _("%(email)s does not have the trainer role.", email=user.email)
        return _("%(email)s does not have the trainee role.", email=user.email)
    existing = members.get(user.id)
    if existing is role:
        return _("%(email)s is already enrolled in this cohort.", email=user.email)
    if existing is not None:
        return _(
            "%(email)s is already a %(role)s in this cohort; nobody can be both trainee "
            "and trainer in the same cohort.",
            email=user.email,
            role=_("trainer") if existing is MemberRole.TRAINER else _("trainee"),
        )
    return ""


# --- Enrolment from a CSV file --------------------------------------------------------------


@dataclass
class CsvResult:
    """What an import did, or (when `errors` is not empty) why it did nothing at all."""

    errors: list[tuple[int, str]] = field(default_factory=list)
    enrolled: list[CohortMember] = field(default_factory=list)
    invited: list[User] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    line: int
    email: str
    role: MemberRole
    name: str


def enrol_from_csv(cohort: Cohort, text: str, *, actor: User) -> CsvResult:
    """Enrol everyone a CSV file lists, inviting people who have no account yet.

    The header row names the columns: `email` (required), `role` (trainee or trainer;
    trainee if absent) and `name` (needed only for people without an account). Every row
    is checked first; if any has a problem, nothing at all changes and every problem is
    returned with its line number. CohortError means an account appeared meanwhile; the
    caller rolls back (a view does so by answering 422).
    """
    rows, errors = _parse_csv(text)
    errors += _check_rows(cohort, rows)
    if errors:
        return CsvResult(errors=sorted(errors))
    result = CsvResult()
    users = _users_by_email(row.email for row in rows)
    for row in rows:  # accounts first: each is flushed on its own, so keep those flushes small
        if row.email not in users:
            try:
                user = create_user(row.email, row.name, [Role(row.role.value)], actor=actor)
            except AccountError as error:  # registered since the check: the caller rolls back
                raise CohortError(error.message, "file") from error
            send_invitation(user, actor=actor)
            users[row.email] = user
            result.invited.append(user)
    for row in rows:
        member = CohortMember(user=users[row.email], role=row.role)
        cohort.members.append(member)
        result.enrolled.append(member)
    db.session.flush()
    audit.record(
        "cohort.csv_imported",
        "cohorts",
        cohort.id,
        actor=actor,
        enrolled=[[m.user.id, m.role.value] for m in result.enrolled],
        invited=[user.id for user in result.invited],
    )
    return result


def _parse_csv(text: str) -> tuple[list[_Row], list[tuple[int, str]]]:
    """Read the rows; return them with the problems that need no database to find."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return [], [(1, _("The file is empty."))]
    lines = io.StringIO(text, newline="")
    first = next(line for line in text.splitlines() if line.strip())
    start = 1
    if first.lower().startswith("sep=") and len(first) == 5:  # Excel's delimiter hint
        delimiter = first[4]
        next(lines)
        start = 2
    else:
        try:
            delimiter = csv.Sniffer().sniff(first, delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","  # a single column
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    skipped = start - 1
    rows: list[_Row] = []
    errors: list[tuple[int, str]] = []
    header: list[str] | None = None
    seen: dict[str, int] = {}
    count = 0
    try:
        for cells in reader:
            line = reader.line_num + skipped
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = [COLUMN_ALIASES.get(c.strip().lower(), c.strip().lower()) for c in cells]
                if "email" not in header:
                    message = _("The first line must name the columns, among them “email”.")
                    return [], [(line, message)]
                continue
            count += 1
            if count > MAX_CSV_ROWS:
                message = _(
                    "The file lists more than %(max)s people; split it.",
                    max=format_number(MAX_CSV_ROWS),
                )
                return [], [(line, message)]
            row, problems = _parse_row(line, header, cells, seen)
            errors += [(line, problem) for problem in problems]
            if row is not None:
                rows.append(row)
    except csv.Error:
        errors.append((reader.line_num + skipped, _("This line is not valid CSV.")))
    if header is not None and not rows and not errors:
        errors.append((1, _("The file lists nobody under its header line.")))
    return rows, errors


def _parse_row(
    line: int, header: list[str], cells: list[str], seen: dict[str, int]
) -> tuple[_Row | None, list[str]]:
    if len(cells) > len(header):
        return None, [_("This line has more values than the header has columns.")]
    values = dict(zip(header, (cell.strip() for cell in cells), strict=False))
    problems = []
    email = normalise_email(values.get("email", ""))
    if not email:
        problems.append(_("The e-mail address is missing."))
    else:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            problems.append(_("“%(email)s” is not a valid e-mail address.", email=email))
        if email in seen:
            problems.append(_("This person is already listed on line %(line)d.", line=seen[email]))
        else:
            seen[email] = line
    role_value = (values.get("role") or MemberRole.TRAINEE.value).lower()
    if role_value not in {role.value for role in MemberRole}:
        problems.append(
            _("Unknown role “%(role)s”: write trainee or trainer.", role=values.get("role"))
        )
    name = values.get("name", "")
    if len(name) > MAX_NAME_LENGTH:
        problems.append(_("The name can have at most %(max)d characters.", max=MAX_NAME_LENGTH))
    if problems:
        return None, problems
    return _Row(line=line, email=email, role=MemberRole(role_value), name=name), []


def _check_rows(cohort: Cohort, rows: list[_Row]) -> list[tuple[int, str]]:
    """The problems that need the database: accounts, their roles, current members."""
    users = _users_by_email(row.email for row in rows)
    members = _roles_in(cohort)
    errors = []
    for row in rows:
        user = users.get(row.email)
        if user is not None:
            problem = _enrolment_problem(user, row.role, members)
            if problem:
                errors.append((row.line, problem))
        elif not row.name:
            errors.append(
                (
                    row.line,
                    _(
                        "Nobody has an account with %(email)s; give their name so that "
                        "they can be invited.",
                        email=row.email,
                    ),
                )
            )
    return errors


def _users_by_email(emails: Iterable[str]) -> dict[str, User]:
    wanted = sorted(set(emails))
    found: dict[str, User] = {}
    for start in range(0, len(wanted), 500):  # stay under every database's parameter limit
        chunk = wanted[start : start + 500]
        found.update(
            (user.email, user)
            for user in db.session.scalars(sa.select(User).where(User.email.in_(chunk)))
        )
    return found
