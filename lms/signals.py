"""Signals features use to react to each other without importing each other's code.

Each is a blinker signal; receivers run inside the sender's transaction, after its flush, so
they may add rows but must not commit.
"""

from blinker import Namespace

_signals = Namespace()

#: A grade was released to a trainee. Sent by grading with `submission_id`, `user_id`,
#: `course_id`, `passed`.
grade_released = _signals.signal("grade-released")

#: A trainee now meets the accreditation rule of a course (SPEC §2). Sent by grading with
#: `user_id`, `course_id`, `content_version_id`. The certificates feature listens and issues
#: (or queues for approval) exactly one valid certificate.
trainee_became_eligible = _signals.signal("trainee-became-eligible")

#: A trainee marked a lesson complete. Sent by courses with `user_id`, `course_id`.
lesson_completed = _signals.signal("lesson-completed")
