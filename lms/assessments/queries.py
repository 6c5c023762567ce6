"""What a trainee's case-study page needs to show: deadline, attempts, the open attempt."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from lms.accounts.models import User
from lms.assessments import services
from lms.assessments.models import Submission, SubmissionState
from lms.cohorts.models import Cohort, LatePolicy
from lms.courses.models import Module
from lms.db import utcnow


@dataclass
class Workspace:
    cohort: Cohort | None
    due_at: dt.datetime | None
    late_refused: bool
    attempts: list[Submission]
    used: int
    allowed: int
    current: Submission | None

    @property
    def open(self) -> Submission | None:
        """The attempt being written (a draft, or returned for completion), if any."""
        return self.current if self.current is not None and self.current.editable else None

    @property
    def in_review(self) -> bool:
        return self.current is not None and self.current.state in {
            SubmissionState.SUBMITTED,
            SubmissionState.IN_REVIEW,
        }

    @property
    def left(self) -> int:
        """Attempts still to make: an attempt with the trainers is spoken for already."""
        return max(self.allowed - self.used - (1 if self.in_review else 0), 0)

    @property
    def previous_answer(self) -> Submission | None:
        """The last earlier attempt with a text, to start a new attempt from."""
        earlier = [a for a in self.attempts if a is not self.open and a.answer.strip()]
        return earlier[-1] if earlier else None

    @property
    def passed(self) -> bool:
        return any(a.state == SubmissionState.PASSED for a in self.attempts)

    @property
    def overdue(self) -> bool:
        return self.due_at is not None and utcnow() > self.due_at

    @property
    def can_write(self) -> bool:
        if self.cohort is None or self.passed:
            return False
        if self.current is not None and self.current.editable:
            return not (self.overdue and self.late_refused)
        if self.in_review:
            return False
        return self.left > 0 and not (self.overdue and self.late_refused)


def workspace(user: User, module: Module) -> Workspace:
    cohort = services.trainee_cohort(user, module.course)
    rows = services.attempts(user, module)
    due = services.deadline(cohort, module) if cohort is not None else None
    return Workspace(
        cohort=cohort,
        due_at=due.due_at if due else None,
        late_refused=cohort is not None and cohort.late_policy == LatePolicy.REFUSE,
        attempts=rows,
        used=services.attempts_used(rows),
        allowed=module.course.max_attempts,
        current=rows[-1] if rows else None,
    )
