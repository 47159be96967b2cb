"""Tests of metrics.scoring: the worked example of docs/scoring.md, edge cases and properties."""

import dataclasses
import json
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal, localcontext
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from metrics.scoring import (
    CONSTRAINT_LEVELS,
    DEFAULT_POLICY,
    DIMENSIONS,
    QUALITY_IMPACTS,
    EarnedValue,
    HypotheticalChange,
    MilestoneInput,
    ProjectInputs,
    ScoringPolicy,
    TradeoffMatrix,
    apply_change,
    compute_earned_value,
    compute_scores,
    validate_tradeoff_matrix,
    what_if,
)

D = Decimal
AS_OF = date(2025, 6, 30)
GMP_MATRIX = TradeoffMatrix(time="constrain", scope="accept", quality="constrain", cost="optimize")
PROPERTY = settings(max_examples=150, deadline=None, database=None)


def worked_example() -> ProjectInputs:
    """The project of the worked example in docs/scoring.md."""
    return ProjectInputs(
        project_id=42,
        as_of=AS_OF,
        budget=D("1000000.00"),
        original_budget=D("950000.00"),
        actual_cost=D("800000.00"),
        milestones=(
            MilestoneInput(D("0.20"), D(100), date(2025, 3, 31), None, date(2025, 4, 10)),
            MilestoneInput(D("0.30"), D(100), date(2025, 5, 15), None, date(2025, 5, 12)),
            MilestoneInput(D("0.30"), D(60), date(2025, 6, 15), date(2025, 7, 15), None),
            MilestoneInput(D("0.20"), D(20), date(2025, 9, 30), date(2025, 10, 10), None),
        ),
        tradeoff=GMP_MATRIX,
        approved_scope_change_percent=D(5),
        pending_change_requests=1,
        batches_total=5,
        batches_right_first_time=4,
        open_deviations_major=1,
        csat_latest=D("4.2"),
        nps=D(40),
        nps_previous=D(50),
        open_risk_exposures=(12, 6),
    )


def on_plan_project() -> ProjectInputs:
    return ProjectInputs(
        project_id=7,
        as_of=AS_OF,
        budget=D("500000.00"),
        original_budget=D("500000.00"),
        actual_cost=D("250000.00"),
        milestones=(
            MilestoneInput(D("0.5"), D(100), date(2025, 5, 1), None, date(2025, 4, 28)),
            MilestoneInput(D("0.5"), D(0), date(2025, 9, 1), date(2025, 9, 1), None),
        ),
        tradeoff=GMP_MATRIX,
        batches_total=3,
        batches_right_first_time=3,
    )


# ---------------------------------------------------------------------------------------------
# The worked example, exactly as written out in docs/scoring.md
# ---------------------------------------------------------------------------------------------


def test_worked_example_earned_value() -> None:
    assert compute_earned_value(worked_example()) == EarnedValue(
        planned_value=D("800000.00"),
        earned_value=D("720000.00"),
        actual_cost=D("800000.00"),
        schedule_variance=D("-80000.00"),
        cost_variance=D("-80000.00"),
        schedule_performance_index=D("0.900"),
        cost_performance_index=D("0.900"),
        estimate_at_completion=D("1111111.11"),
        estimate_to_complete=D("311111.11"),
        variance_at_completion=D("-111111.11"),
        to_complete_performance_index=D("1.400"),
        budget_at_completion=D("1000000.00"),
    )


def test_worked_example_scores() -> None:
    result = compute_scores(worked_example())

    stress = result.stress
    assert (stress.time, stress.cost, stress.scope) == (D("0.575"), D("0.632"), D("0.325"))
    assert (stress.quality, stress.satisfaction, stress.risk_register) == (D("0.490"), D("0.438"), D("0.360"))
    assert result.risk_score == D("50.50")
    assert str(result.risk_score) == "50.50"
    assert result.tradeoff_score == D("63.85")
    assert str(result.tradeoff_score) == "63.85"
    assert result.rag == "amber"
    assert result.project_id == 42
    assert result.policy_version == 1
    assert result.earned_value == compute_earned_value(worked_example())

    ranked = [(f.constraint, str(f.contribution), str(f.stress)) for f in result.factors]
    assert ranked == [
        ("time", "14.38", "0.575"),
        ("cost", "12.64", "0.632"),
        ("quality", "12.25", "0.490"),
        ("satisfaction", "4.38", "0.438"),
        ("risk_register", "3.60", "0.360"),
        ("scope", "3.25", "0.325"),
    ]
    texts = {f.constraint: (f.figure, f.text) for f in result.factors}
    assert texts["time"] == ("SPI 0.90, 3 late", "3 milestones late, 17 days on average (worst 30); SPI 0.90.")
    assert texts["cost"] == (
        "CPI 0.90, budget +5.3%",
        "CPI 0.90: forecast 1,111,111.11 at completion against a budget of 1,000,000.00 (VAC -111,111.11); "
        "budget up 5.3% on the original baseline.",
    )
    assert texts["scope"] == (
        "+5.0% scope, 1 pending",
        "Approved scope change +5.0%; 1 change request awaiting client decision.",
    )
    assert texts["quality"] == (
        "RFT 80%, 1 open dev.",
        "RFT 80% (4 of 5 batches); open deviations: 1 major; no overdue CAPAs.",
    )
    assert texts["satisfaction"] == ("CSAT 4.2, NPS 40", "CSAT 4.2/5; NPS 40, down 10 from 50.")
    assert texts["risk_register"] == ("exposure 18", "2 open risks, total exposure 18 (top exposure 12 of 25).")


def test_worked_example_json_snapshot() -> None:
    data = compute_scores(worked_example()).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["risk_score"] == "50.50"
    assert data["as_of"] == "2025-06-30"


# ---------------------------------------------------------------------------------------------
# Plain examples
# ---------------------------------------------------------------------------------------------


def test_on_plan_project_is_green_and_says_so() -> None:
    result = compute_scores(on_plan_project())
    assert result.risk_score == D("0.00")
    assert result.tradeoff_score == D("100.00")
    assert result.rag == "green"
    for factor in result.factors:
        assert factor.stress == 0
        assert factor.contribution == 0
        if factor.constraint == "satisfaction":
            assert factor.text == "No survey yet."
        else:
            assert "on plan" in factor.text.lower(), factor
    assert [f.constraint for f in result.factors] == list(DIMENSIONS)  # ties keep the canonical order


def test_no_survey_gives_zero_satisfaction_stress() -> None:
    inputs = dataclasses.replace(worked_example(), csat_latest=None, nps=None, nps_previous=D(30))
    result = compute_scores(inputs)
    assert result.stress.satisfaction == 0
    (factor,) = [f for f in result.factors if f.constraint == "satisfaction"]
    assert (factor.stress, factor.contribution, factor.figure, factor.text) == (
        D(0),
        D(0),
        "no survey",
        "No survey yet.",
    )


@pytest.mark.parametrize(
    ("csat", "nps", "previous", "expected"),
    [
        (D(5), None, None, D("0.000")),
        (D(1), None, None, D("1.000")),
        (None, D(100), None, D("0.000")),
        (None, D(-100), None, D("1.000")),
        (None, D(40), D(30), D("0.300")),  # rising NPS: no trend stress
        (None, D(40), D(60), D("0.650")),  # drop 20 of 40: 1 - 0.7 * 0.5
        (None, D(40), D(80), D("1.000")),  # drop 40 of 40: full stress
        (D(3), D(0), None, D("0.500")),
    ],
)
def test_satisfaction_stress(
    csat: Decimal | None, nps: Decimal | None, previous: Decimal | None, expected: Decimal
) -> None:
    inputs = dataclasses.replace(on_plan_project(), csat_latest=csat, nps=nps, nps_previous=previous)
    assert compute_scores(inputs).stress.satisfaction == expected


def test_evm_when_nothing_planned_or_spent_yet() -> None:
    inputs = dataclasses.replace(
        on_plan_project(),
        actual_cost=D(0),
        milestones=(MilestoneInput(D(1), D(0), date(2025, 12, 1), None, None),),
    )
    ev = compute_earned_value(inputs)
    assert ev.planned_value == ev.earned_value == ev.actual_cost == D(0)
    assert ev.schedule_performance_index is None
    assert ev.cost_performance_index is None
    assert ev.estimate_at_completion == D("500000.00")
    assert ev.estimate_to_complete == D("500000.00")
    assert ev.variance_at_completion == D(0)
    assert ev.to_complete_performance_index == D("1.000")
    result = compute_scores(inputs)
    assert result.stress.time == result.stress.cost == 0
    assert result.rag == "green"


def test_evm_with_cost_but_no_earned_value_uses_the_atypical_eac() -> None:
    inputs = dataclasses.replace(
        on_plan_project(),
        actual_cost=D("1000.00"),
        milestones=(MilestoneInput(D(1), D(0), date(2025, 6, 1), None, None),),
    )
    ev = compute_earned_value(inputs)
    assert ev.earned_value == 0
    assert ev.schedule_performance_index == D("0.000")
    assert ev.cost_performance_index == D("0.000")
    assert ev.estimate_at_completion == D("501000.00")  # AC + (BAC - EV)
    assert ev.variance_at_completion == D("-1000.00")
    assert compute_scores(inputs).stress.cost == 1


def test_evm_tcpi_undefined_once_budget_is_spent() -> None:
    inputs = dataclasses.replace(worked_example(), actual_cost=D("1000000.00"))
    assert compute_earned_value(inputs).to_complete_performance_index is None
    inputs = dataclasses.replace(worked_example(), actual_cost=D("1200000.00"))
    ev = compute_earned_value(inputs)
    assert ev.to_complete_performance_index is None
    assert ev.cost_performance_index == D("0.600")
    assert ev.estimate_at_completion == D("1666666.67")


def test_evm_without_milestones() -> None:
    inputs = dataclasses.replace(on_plan_project(), milestones=(), actual_cost=D(0))
    ev = compute_earned_value(inputs)
    assert (ev.planned_value, ev.earned_value, ev.schedule_performance_index) == (D(0), D(0), None)
    (time,) = [f for f in compute_scores(inputs).factors if f.constraint == "time"]
    assert (time.stress, time.text) == (D(0), "No milestones planned yet.")


def test_milestone_weights_are_normalised_and_zero_weights_count_equal() -> None:
    def project(w1: str, w2: str) -> ProjectInputs:
        return dataclasses.replace(
            on_plan_project(),
            milestones=(
                MilestoneInput(D(w1), D(100), date(2025, 5, 1), None, date(2025, 5, 1)),
                MilestoneInput(D(w2), D(50), date(2025, 9, 1), None, None),
            ),
        )

    normalised = compute_earned_value(project("0.5", "0.5"))
    assert compute_earned_value(project("2", "2")) == normalised
    assert compute_earned_value(project("0", "0")) == normalised
    assert (normalised.planned_value, normalised.earned_value) == (D("250000.00"), D("375000.00"))


def test_slip_counts_open_overdue_and_late_completed_milestones() -> None:
    base = on_plan_project()
    cases = {
        # open, baseline passed, forecast still at baseline: late by as_of - baseline (10 days)
        "overdue": MilestoneInput(D(1), D(0), date(2025, 6, 20), date(2025, 6, 20), None),
        # open, forecast after baseline (20 days)
        "forecast": MilestoneInput(D(1), D(0), date(2025, 8, 1), date(2025, 8, 21), None),
        # completed 5 days late
        "completed": MilestoneInput(D(1), D(100), date(2025, 5, 1), None, date(2025, 5, 6)),
        # completed early: not late
        "early": MilestoneInput(D(1), D(100), date(2025, 5, 1), None, date(2025, 4, 1)),
    }
    texts = {
        name: next(
            f.text for f in compute_scores(dataclasses.replace(base, milestones=(m,))).factors if f.constraint == "time"
        )
        for name, m in cases.items()
    }
    assert texts["overdue"].startswith("1 milestone late by 10 days")
    assert texts["forecast"].startswith("1 milestone late by 20 days")
    assert texts["completed"].startswith("1 milestone late by 5 days")
    assert texts["early"].startswith("On plan: no milestones late")


def test_open_critical_deviation_sets_a_quality_floor() -> None:
    inputs = dataclasses.replace(on_plan_project(), open_deviations_critical=1)
    result = compute_scores(inputs)
    assert result.stress.quality == D("0.600")
    (quality,) = [f for f in result.factors if f.constraint == "quality"]
    assert "open deviations: 1 critical" in quality.text
    assert "critical deviation holds quality stress at 0.60 or more" in quality.text


def test_rag_bands_are_inclusive_lower_bounds() -> None:
    inputs = worked_example()  # risk score 50.50
    assert compute_scores(inputs, ScoringPolicy(amber_threshold=D("50.50"))).rag == "amber"
    assert compute_scores(inputs, ScoringPolicy(amber_threshold=D("50.51"), red_threshold=D(60))).rag == "green"
    assert compute_scores(inputs, ScoringPolicy(amber_threshold=D(10), red_threshold=D("50.50"))).rag == "red"


def test_policy_version_is_recorded_and_weights_apply() -> None:
    policy = ScoringPolicy(
        version=3,
        weight_time=D(1),
        weight_cost=D(0),
        weight_scope=D(0),
        weight_quality=D(0),
        weight_satisfaction=D(0),
        weight_risk_register=D(0),
    )
    result = compute_scores(worked_example(), policy)
    assert result.policy_version == 3
    assert result.risk_score == D("57.50")
    assert result.factors[0].constraint == "time"


def test_contributions_add_up_to_the_risk_score_within_rounding() -> None:
    result = compute_scores(worked_example())
    total = sum((f.contribution for f in result.factors), D(0))
    assert abs(total - result.risk_score) <= D("0.03")


@pytest.mark.parametrize(
    "overrides",
    [
        {"weight_time": D(-1)},
        {
            "weight_time": D(0),
            "weight_cost": D(0),
            "weight_scope": D(0),
            "weight_quality": D(0),
            "weight_satisfaction": D(0),
            "weight_risk_register": D(0),
        },
        {"amber_threshold": D(70), "red_threshold": D(60)},
        {"cpi_floor": D(1)},
        {"multiplier_accept": D("1.5")},
        {"slip_days_for_full_stress": D(0)},
    ],
)
def test_invalid_policies_are_rejected(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="Invalid ScoringPolicy"):
        ScoringPolicy(**overrides)


def test_floats_are_rejected_for_money() -> None:
    with pytest.raises(TypeError, match="budget must be a Decimal"):
        dataclasses.replace(worked_example(), budget=1000.0)  # type: ignore[arg-type]


def test_unknown_levels_and_impacts_are_rejected() -> None:
    bad_matrix = dataclasses.replace(worked_example(), tradeoff=dataclasses.replace(GMP_MATRIX, time="fixed"))
    with pytest.raises(ValueError, match="Unknown constraint level 'fixed'"):
        compute_scores(bad_matrix)
    bad_impact = dataclasses.replace(worked_example(), approved_quality_impacts=("severe",))
    with pytest.raises(ValueError, match="Unknown quality impact 'severe'"):
        compute_scores(bad_impact)
    with pytest.raises(ValueError, match="Unknown quality impact"):
        apply_change(worked_example(), HypotheticalChange(0, D(0), D(0), "severe"), was_pending=False)


# ---------------------------------------------------------------------------------------------
# What-if
# ---------------------------------------------------------------------------------------------


def test_apply_change_moves_open_forecasts_and_counts_the_request() -> None:
    inputs = worked_example()
    change = HypotheticalChange(
        schedule_impact_days=14, cost_impact=D("25000.00"), scope_impact_percent=D(3), quality_impact="minor"
    )
    after = apply_change(inputs, change, was_pending=True)
    assert after.budget == D("1025000.00")
    assert after.original_budget == inputs.original_budget
    assert after.approved_scope_change_percent == D(8)
    assert after.approved_quality_impacts == ("minor",)
    assert after.pending_change_requests == 0
    before_ms, after_ms = inputs.milestones, after.milestones
    assert [m.baseline_date for m in after_ms] == [m.baseline_date for m in before_ms]
    assert after_ms[0] == before_ms[0]  # completed: untouched
    assert after_ms[1] == before_ms[1]
    assert after_ms[2].forecast_date == date(2025, 7, 29)
    assert after_ms[3].forecast_date == date(2025, 10, 24)
    assert inputs == worked_example()  # the original is not modified


def test_apply_change_details() -> None:
    inputs = dataclasses.replace(
        on_plan_project(),
        pending_change_requests=0,
        milestones=(
            MilestoneInput(D(1), D(0), date(2025, 9, 1), None, None),  # no forecast: shifts from baseline
            MilestoneInput(D(1), D(0), None, None, None),  # undated: stays undated
        ),
    )
    change = HypotheticalChange(5, D(0), D(0), "none")
    after = apply_change(inputs, change, was_pending=True)
    assert after.pending_change_requests == 0  # floor at 0
    assert after.approved_quality_impacts == ()
    assert after.milestones[0].forecast_date == date(2025, 9, 6)
    assert after.milestones[1].forecast_date is None
    assert apply_change(inputs, HypotheticalChange(0, D(0), D(0), "none"), was_pending=False) == inputs


def test_what_if_on_the_worked_example() -> None:
    change = HypotheticalChange(30, D("50000.00"), D(5), "major")
    before, after = what_if(worked_example(), change, was_pending=True)
    assert before == compute_scores(worked_example())
    assert after.stress.time > before.stress.time
    assert after.stress.quality > before.stress.quality
    assert after.risk_score > before.risk_score
    assert after.tradeoff_score < before.tradeoff_score


# ---------------------------------------------------------------------------------------------
# validate_tradeoff_matrix
# ---------------------------------------------------------------------------------------------


def test_validate_tradeoff_matrix_accepts_up_to_two_constrain() -> None:
    assert validate_tradeoff_matrix(GMP_MATRIX) == []
    assert validate_tradeoff_matrix(TradeoffMatrix("accept", "accept", "accept", "accept")) == []
    assert validate_tradeoff_matrix(TradeoffMatrix("optimize", "accept", "constrain", "optimize")) == []


def test_validate_tradeoff_matrix_rejects_three_constrain() -> None:
    errors = validate_tradeoff_matrix(TradeoffMatrix("constrain", "constrain", "constrain", "accept"))
    assert errors == [
        "At most 2 dimensions may be 'constrain' (got 3: time, scope, quality); "
        "a project where everything is fixed has no room to trade."
    ]
    assert len(validate_tradeoff_matrix(TradeoffMatrix("constrain", "constrain", "constrain", "constrain"))) == 1


def test_validate_tradeoff_matrix_rejects_unknown_levels() -> None:
    errors = validate_tradeoff_matrix(TradeoffMatrix("fixed", "accept", "constrain", ""))
    assert errors == [
        "Time: 'fixed' is not one of constrain, optimize, accept.",
        "Cost: '' is not one of constrain, optimize, accept.",
    ]


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

baselines = st.dates(min_value=AS_OF - timedelta(days=120), max_value=AS_OF + timedelta(days=120))
offsets = st.integers(-20, 30).map(lambda days: timedelta(days=days))


@st.composite
def milestone_inputs(draw: st.DrawFn) -> MilestoneInput:
    """Milestones around AS_OF; most due ones are done and dates stay near baselines, so stress rarely saturates."""
    baseline = None if draw(st.integers(0, 7)) == 0 else draw(baselines)
    anchor = baseline if baseline is not None else AS_OF
    due = baseline is not None and baseline <= AS_OF
    completed = draw(st.integers(0, 3)) != 0 if due else draw(st.integers(0, 5)) == 0
    forecast = None if completed or draw(st.integers(0, 3)) == 0 else anchor + draw(offsets)
    return MilestoneInput(
        weight=draw(st.decimals(min_value=0, max_value=1, places=2)),
        percent_complete=D(100) if completed else D(draw(st.integers(40 if due else 0, 100 if due else 60))),
        baseline_date=baseline,
        forecast_date=forecast,
        actual_date=min(AS_OF, anchor + draw(offsets)) if completed else None,
    )


levels = st.sampled_from(CONSTRAINT_LEVELS)
money = st.decimals(min_value=0, max_value=5_000_000, places=2)
optional_nps = st.none() | st.decimals(min_value=-100, max_value=100, places=0)


@st.composite
def project_inputs(draw: st.DrawFn, min_milestones: int = 0) -> ProjectInputs:
    batches_total = draw(st.integers(0, 30))
    return ProjectInputs(
        project_id=draw(st.integers(1, 10_000)),
        as_of=AS_OF,
        budget=draw(money),
        original_budget=draw(money),
        actual_cost=draw(money),
        milestones=tuple(draw(st.lists(milestone_inputs(), min_size=min_milestones, max_size=6))),
        tradeoff=TradeoffMatrix(draw(levels), draw(levels), draw(levels), draw(levels)),
        approved_scope_change_percent=draw(st.decimals(min_value=-30, max_value=60, places=1)),
        pending_change_requests=draw(st.integers(0, 8)),
        approved_quality_impacts=tuple(draw(st.lists(st.sampled_from(QUALITY_IMPACTS), max_size=4))),
        batches_total=batches_total,
        batches_right_first_time=draw(st.integers(0, batches_total)),
        open_deviations_minor=draw(st.integers(0, 6)),
        open_deviations_major=draw(st.integers(0, 4)),
        open_deviations_critical=draw(st.integers(0, 2)),
        overdue_capas=draw(st.integers(0, 5)),
        csat_latest=draw(st.none() | st.decimals(min_value=1, max_value=5, places=1)),
        nps=draw(optional_nps),
        nps_previous=draw(optional_nps),
        open_risk_exposures=tuple(draw(st.lists(st.integers(1, 25), max_size=8))),
    )


changes = st.builds(
    HypotheticalChange,
    schedule_impact_days=st.integers(-30, 90),
    cost_impact=st.decimals(min_value=-100_000, max_value=500_000, places=2),
    scope_impact_percent=st.decimals(min_value=-10, max_value=20, places=1),
    quality_impact=st.sampled_from(QUALITY_IMPACTS),
)


def assert_no_better(before: ProjectInputs, after: ProjectInputs) -> None:
    """Risk must not fall and tradeoff must not rise going from ``before`` to ``after``."""
    b, a = compute_scores(before), compute_scores(after)
    assert a.risk_score >= b.risk_score
    assert a.tradeoff_score <= b.tradeoff_score


@PROPERTY
@given(project_inputs())
def test_scores_and_stresses_stay_in_bounds(inputs: ProjectInputs) -> None:
    result = compute_scores(inputs)
    assert D(0) <= result.risk_score <= D(100)
    assert D(0) <= result.tradeoff_score <= D(100)
    assert result.risk_score == result.risk_score.quantize(D("0.01"))
    assert result.rag in {"green", "amber", "red"}
    for dimension in DIMENSIONS:
        assert D(0) <= result.stress.get(dimension) <= D(1)
    assert sorted(f.constraint for f in result.factors) == sorted(DIMENSIONS)
    contributions = [f.contribution for f in result.factors]
    assert contributions == sorted(contributions, reverse=True)
    assert all(f.text and f.figure for f in result.factors)


@PROPERTY
@given(project_inputs())
def test_scoring_is_deterministic_and_context_independent(inputs: ProjectInputs) -> None:
    first = compute_scores(inputs)
    assert compute_scores(dataclasses.replace(inputs)) == first
    with localcontext() as ctx:
        ctx.prec = 6
        ctx.rounding = ROUND_FLOOR
        assert compute_scores(inputs) == first
    assert compute_scores(inputs).to_dict() == first.to_dict()


@PROPERTY
@given(project_inputs(min_milestones=1), st.data())
def test_a_further_slip_never_improves_scores(inputs: ProjectInputs, data: st.DataObject) -> None:
    open_indices = [i for i, m in enumerate(inputs.milestones) if m.actual_date is None]
    assume(open_indices)
    index = data.draw(st.sampled_from(open_indices))
    days = data.draw(st.integers(1, 45))
    milestone = inputs.milestones[index]
    current = milestone.forecast_date if milestone.forecast_date is not None else AS_OF
    slipped = dataclasses.replace(milestone, forecast_date=current + timedelta(days=days))
    later = dataclasses.replace(
        inputs, milestones=inputs.milestones[:index] + (slipped,) + inputs.milestones[index + 1 :]
    )
    assert compute_scores(later).stress.time >= compute_scores(inputs).stress.time
    assert_no_better(inputs, later)


@PROPERTY
@given(project_inputs(), st.decimals(min_value="0.01", max_value=1_000_000, places=2))
def test_more_actual_cost_never_improves_scores(inputs: ProjectInputs, extra: Decimal) -> None:
    assert_no_better(inputs, dataclasses.replace(inputs, actual_cost=inputs.actual_cost + extra))


@PROPERTY
@given(project_inputs())
def test_a_new_critical_deviation_never_improves_scores(inputs: ProjectInputs) -> None:
    worse = dataclasses.replace(inputs, open_deviations_critical=inputs.open_deviations_critical + 1)
    assert compute_scores(worse).stress.quality >= D("0.6")
    assert_no_better(inputs, worse)


@PROPERTY
@given(project_inputs(), st.data())
def test_a_growing_risk_exposure_never_improves_scores(inputs: ProjectInputs, data: st.DataObject) -> None:
    exposures = inputs.open_risk_exposures
    growable = [i for i, e in enumerate(exposures) if e < 25]
    assume(growable)
    index = data.draw(st.sampled_from(growable))
    grown = data.draw(st.integers(exposures[index] + 1, 25))
    worse = dataclasses.replace(inputs, open_risk_exposures=exposures[:index] + (grown,) + exposures[index + 1 :])
    assert_no_better(inputs, worse)


@PROPERTY
@given(project_inputs(min_milestones=1), st.data())
def test_a_slip_costs_more_tradeoff_when_time_is_constrained(inputs: ProjectInputs, data: st.DataObject) -> None:
    open_indices = [i for i, m in enumerate(inputs.milestones) if m.actual_date is None]
    assume(open_indices)
    index = data.draw(st.sampled_from(open_indices))
    milestone = inputs.milestones[index]
    current = milestone.forecast_date if milestone.forecast_date is not None else AS_OF
    slipped = dataclasses.replace(milestone, forecast_date=current + timedelta(days=data.draw(st.integers(1, 45))))
    milestones = inputs.milestones[:index] + (slipped,) + inputs.milestones[index + 1 :]

    def drop(level: str) -> tuple[Decimal, Decimal]:
        project = dataclasses.replace(inputs, tradeoff=dataclasses.replace(inputs.tradeoff, time=level))
        before = compute_scores(project)
        after = compute_scores(dataclasses.replace(project, milestones=milestones))
        return before.tradeoff_score - after.tradeoff_score, after.stress.time - before.stress.time

    constrain_drop, added_stress = drop("constrain")
    accept_drop, _ = drop("accept")
    assert constrain_drop >= accept_drop >= 0
    if added_stress > 0:
        assert constrain_drop > accept_drop


@PROPERTY
@given(project_inputs(), changes, st.booleans())
def test_what_if_matches_compute_scores(inputs: ProjectInputs, change: HypotheticalChange, was_pending: bool) -> None:
    before, after = what_if(inputs, change, was_pending=was_pending)
    assert before == compute_scores(inputs)
    assert after == compute_scores(apply_change(inputs, change, was_pending=was_pending))
    assert what_if(inputs, change, DEFAULT_POLICY, was_pending=was_pending) == (before, after)
