"""Import every feature's models so that metadata (and Alembic) sees all tables."""

from lms.accounts.models import AccountToken, Organisation, User, UserRole, UserSession
from lms.api.models import ApiToken
from lms.assessments.models import Attachment, Submission
from lms.audit.models import AuditEvent
from lms.certificates.models import Certificate, SigningKey, StatusList
from lms.cohorts.models import Cohort, CohortDeadline, CohortMember
from lms.courses.models import (
    CaseStudy,
    ContentVersion,
    Course,
    JobProfile,
    KeyActivity,
    Lesson,
    LessonCompletion,
    Module,
    RubricCriterion,
    ToolboxItem,
)
from lms.grading.models import CommentSnippet, Grade
from lms.notifications.models import (
    Notification,
    NotificationPreference,
    OutboxMessage,
    SentNotification,
)
from lms.scheduler.models import JobLock
from lms.search.models import SearchDocument

__all__ = [
    "Attachment",
    "CommentSnippet",
    "Grade",
    "Notification",
    "NotificationPreference",
    "OutboxMessage",
    "SentNotification",
    "JobLock",
    "SearchDocument",
    "Submission",
    "AccountToken",
    "ApiToken",
    "AuditEvent",
    "CaseStudy",
    "Cohort",
    "CohortDeadline",
    "CohortMember",
    "ContentVersion",
    "Course",
    "JobProfile",
    "KeyActivity",
    "Lesson",
    "LessonCompletion",
    "Module",
    "Organisation",
    "RubricCriterion",
    "ToolboxItem",
    "User",
    "UserRole",
    "UserSession",
    "Certificate",
    "SigningKey",
    "StatusList",
]
