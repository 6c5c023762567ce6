"""The grading rule of SPEC §2, exactly, as pure functions over a version's snapshot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from lms.messages import Message

LEVEL_RANGE = range(0, 5)


@dataclass(frozen=True)
class CriterionRule:
    code: str
    title: str
    key_activity: str
    priority: str
    weight: int


@dataclass(frozen=True)
class Outcome:
    score: Decimal
    passed: bool
    #: Why it failed, in order: criteria below their minimum, then the score; empty on a pass.
    #: Shown in the reader's language (`Message.text()`), stored with `Message.to_json()`.
    messages: list[Message] = field(default_factory=list)
    #: Codes of criteria whose level is below the minimum for their priority.
    below_minimum: list[str] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """The reasons in English, as the audit trail and rows written before keep them."""
        return [message.english() for message in self.messages]


def criteria_of(snapshot: Mapping[str, Any], module_slug: str) -> list[CriterionRule]:
    """The rubric of one module as it was in a content version."""
    module = next(m for m in snapshot["modules"] if m["slug"] == module_slug)
    return [
        CriterionRule(
            code=c["code"],
            title=c["title"],
            key_activity=c["key_activity"],
            priority=c["priority"],
            weight=int(c["weight"]),
        )
        for c in module["criteria"]
    ]


def score(criteria: Sequence[CriterionRule], levels: Mapping[str, int]) -> Decimal:
    """score = round(100 · Σ w·l / (4 · Σ w), 1), rounding halves up."""
    total_weight = sum(c.weight for c in criteria)
    if total_weight <= 0:
        raise ValueError("a rubric needs criteria with positive weights")
    achieved = sum(c.weight * _level(levels, c.code) for c in criteria)
    exact = Decimal(100 * achieved) / Decimal(4 * total_weight)
    return exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def evaluate(
    criteria: Sequence[CriterionRule],
    levels: Mapping[str, int],
    *,
    pass_mark: int,
    min_level_by_priority: Mapping[str, int],
) -> Outcome:
    """Score an attempt and decide pass or fail, naming the reasons for a fail."""
    value = score(criteria, levels)
    below = [
        c
        for c in criteria
        if c.priority in min_level_by_priority
        and _level(levels, c.code) < int(min_level_by_priority[c.priority])
    ]
    messages = [
        Message.of(
            "grading.criterion_below_minimum",
            criterion=c.title,
            level=_level(levels, c.code),
            priority=c.priority,
            minimum=int(min_level_by_priority[c.priority]),
        )
        for c in below
    ]
    if value < pass_mark:
        messages.append(
            Message.of("grading.score_below_pass_mark", score=value, pass_mark=int(pass_mark))
        )
    return Outcome(
        score=value, passed=not messages, messages=messages, below_minimum=[c.code for c in below]
    )


def key_activity_levels(
    criteria: Sequence[CriterionRule], levels: Mapping[str, int]
) -> dict[str, int]:
    """The level reached per key activity: the mean of its criteria, halves rounded up."""
    grouped: dict[str, list[int]] = {}
    for c in criteria:
        grouped.setdefault(c.key_activity, []).append(_level(levels, c.code))
    return {
        code: int((Decimal(sum(values)) / len(values)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        for code, values in grouped.items()
    }


def _level(levels: Mapping[str, int], code: str) -> int:
    level = levels[code]
    if isinstance(level, bool) or int(level) not in LEVEL_RANGE:
        raise ValueError(f"level for {code} must be 0..4")
    return int(level)
