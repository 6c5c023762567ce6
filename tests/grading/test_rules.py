"""Property tests of the grading rule (SPEC §2)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.grading.rules import CriterionRule, evaluate, key_activity_levels, score

WEIGHTS = {"I": 4, "II": 3, "III": 2, "IV": 1}
MINIMUMS = {"I": 2, "II": 2}

rubrics = st.lists(st.sampled_from(sorted(WEIGHTS)), min_size=1, max_size=8).map(
    lambda priorities: [
        CriterionRule(
            code=f"c{i}",
            title=f"Criterion {i}",
            key_activity=f"KA{i % 3 + 1}",
            priority=p,
            weight=WEIGHTS[p],
        )
        for i, p in enumerate(priorities)
    ]
)


@st.composite
def graded(draw):
    criteria = draw(rubrics)
    levels = {c.code: draw(st.integers(0, 4)) for c in criteria}
    return criteria, levels


def reference_score(criteria, levels) -> Decimal:
    numerator = sum(c.weight * levels[c.code] for c in criteria) * 100
    denominator = 4 * sum(c.weight for c in criteria)
    # Exact rational arithmetic, halves rounded up, to one decimal.
    tenths, remainder = divmod(numerator * 10, denominator)
    if remainder * 2 >= denominator:
        tenths += 1
    return Decimal(tenths) / 10


@given(graded())
def test_score_is_between_0_and_100_and_matches_the_formula(case):
    criteria, levels = case
    value = score(criteria, levels)
    assert Decimal(0) <= value <= Decimal(100)
    assert value == reference_score(criteria, levels)


@given(graded(), st.data())
def test_raising_a_level_never_lowers_the_score_or_undoes_a_pass(case, data):
    criteria, levels = case
    code = data.draw(st.sampled_from([c.code for c in criteria]))
    if levels[code] == 4:
        return
    higher = {**levels, code: levels[code] + 1}
    assert score(criteria, higher) >= score(criteria, levels)
    before = evaluate(criteria, levels, pass_mark=70, min_level_by_priority=MINIMUMS)
    after = evaluate(criteria, higher, pass_mark=70, min_level_by_priority=MINIMUMS)
    assert after.passed or not before.passed


@given(graded(), st.integers(0, 100))
def test_passes_exactly_when_the_rule_says_so(case, pass_mark):
    criteria, levels = case
    outcome = evaluate(criteria, levels, pass_mark=pass_mark, min_level_by_priority=MINIMUMS)
    minimums_met = all(
        levels[c.code] >= MINIMUMS[c.priority] for c in criteria if c.priority in MINIMUMS
    )
    expected = reference_score(criteria, levels) >= pass_mark and minimums_met
    assert outcome.passed == expected
    assert outcome.passed == (outcome.reasons == [])


def test_a_high_score_still_fails_when_a_priority_one_criterion_is_below_its_minimum():
    criteria = [
        CriterionRule("vision", "Shared vision", "KA2", "I", 4),
        CriterionRule("awareness", "Awareness", "KA1", "IV", 1),
        CriterionRule("structure", "Structure", "KA3", "II", 3),
    ]
    outcome = evaluate(
        criteria,
        {"vision": 1, "awareness": 4, "structure": 4},
        pass_mark=50,
        min_level_by_priority=MINIMUMS,
    )
    assert outcome.score == Decimal("62.5")
    assert not outcome.passed
    assert outcome.below_minimum == ["vision"]
    assert "Shared vision" in outcome.reasons[0]


def test_the_score_reason_is_named():
    criteria = [CriterionRule("a", "A", "KA1", "III", 2), CriterionRule("b", "B", "KA1", "IV", 1)]
    outcome = evaluate(criteria, {"a": 2, "b": 2}, pass_mark=70, min_level_by_priority=MINIMUMS)
    assert outcome.score == Decimal("50.0")
    assert outcome.reasons == ["The score 50.0 is below the pass mark of 70."]


def test_rounding_is_to_one_decimal_half_up():
    criteria = [CriterionRule(f"c{i}", "x", "KA1", "IV", 1) for i in range(3)]
    assert score(criteria, {"c0": 1, "c1": 0, "c2": 0}) == Decimal("8.3")
    two = [CriterionRule("a", "x", "KA1", "I", 4), CriterionRule("b", "x", "KA1", "IV", 1)]
    # 100 * 1 / 20 = 5.0 ; 100 * 9 / 80 = 11.25 -> 11.3
    assert score(two[:1] + [CriterionRule("b", "x", "KA1", "IV", 1)], {"a": 0, "b": 1}) == Decimal(
        "5.0"
    )
    three = [CriterionRule("a", "x", "KA1", "I", 4), CriterionRule("b", "x", "KA1", "I", 4)]
    assert score(three, {"a": 0, "b": 0}) == Decimal("0.0")


def test_levels_outside_0_to_4_are_refused():
    criteria = [CriterionRule("a", "A", "KA1", "I", 4)]
    with pytest.raises(ValueError, match="0..4"):
        score(criteria, {"a": 5})


def test_key_activity_levels_round_the_mean_half_up():
    criteria = [
        CriterionRule("a", "A", "KA2", "I", 4),
        CriterionRule("b", "B", "KA2", "I", 4),
        CriterionRule("c", "C", "KA3", "II", 3),
    ]
    assert key_activity_levels(criteria, {"a": 2, "b": 3, "c": 1}) == {"KA2": 3, "KA3": 1}
