"""The optimised recompute (issue 13) gives exactly what the straightforward one gave.

The oracle is ``tests/metrics/scoring_reference.py``: the computation, the selector and the snapshot as they
were before the optimisation. Equal means equal ``repr``: every Decimal to its last digit *and exponent*
(``Decimal("1.0") != Decimal("1.00")`` here), every factor's figure and sentence, every JSON value.
"""

import datetime as dt
import random
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from metrics import scoring
from metrics.scores import services
from metrics.scores.models import ScoreLens
from metrics.scores.selectors import scoring_inputs
from metrics.scoring.inputs import CONSTRAINT_LEVELS, QUALITY_IMPACTS, MilestoneInput, ProjectInputs, TradeoffMatrix
from metrics.scoring.wording import english
from projects.models import BatchOutcome, ChangeRequestStatus, QualityEventKind, RiskStatus, Severity, Visibility
from tests.clients.factories import UserFactory
from tests.metrics import scoring_reference as reference
from tests.metrics.factories import make_response
from tests.projects.factories import (
    BaselineFactory,
    BatchFactory,
    ChangeRequestFactory,
    CostEntryFactory,
    MilestoneFactory,
    ProjectFactory,
    QualityEventFactory,
    RiskFactory,
)

AS_OF = date(2026, 11, 24)
EQUIVALENCE = settings(max_examples=400, deadline=None, database=None)

# ---------------------------------------------------------------------------------------------------------------
# The pure computation, over random inputs and policies
# ---------------------------------------------------------------------------------------------------------------

dates = st.none() | st.dates(min_value=AS_OF - timedelta(days=400), max_value=AS_OF + timedelta(days=400))
# Mixed exponents on purpose: a sum that left out a zero term could differ from the straightforward one in its
# exponent only, and that must never reach a result.
weights = (
    st.sampled_from([D(0), D("0.0000"), D("-0"), D(1), D("0.5"), D("1E+1")])
    | st.decimals(min_value=-1, max_value=2, places=4)
    | st.decimals(min_value=0, max_value=1, places=9)
)
percents = (
    st.sampled_from([D(0), D("0.00"), D(100), D("100.00"), D("1E+2")])
    | st.decimals(min_value=-10, max_value=120, places=2)
    | st.decimals(min_value=0, max_value=100, places=0)
)


@st.composite
def milestones(draw: st.DrawFn) -> MilestoneInput:
    return MilestoneInput(
        weight=draw(weights),
        percent_complete=draw(percents),
        baseline_date=draw(dates),
        forecast_date=draw(dates),
        actual_date=draw(dates),
        milestone_id=draw(st.none() | st.integers(1, 10**6)),
    )


money = st.sampled_from([D(0), D("0.00")]) | st.decimals(min_value=0, max_value=10**11, places=2)
levels = st.sampled_from(CONSTRAINT_LEVELS)


@st.composite
def project_inputs(draw: st.DrawFn) -> ProjectInputs:
    total = draw(st.integers(0, 40))
    return ProjectInputs(
        project_id=draw(st.integers(1, 10**6)),
        as_of=AS_OF,
        budget=draw(money),
        original_budget=draw(money | st.decimals(min_value=-1000, max_value=0, places=2)),
        actual_cost=draw(money),
        milestones=tuple(draw(st.lists(milestones(), max_size=35))),
        tradeoff=TradeoffMatrix(draw(levels), draw(levels), draw(levels), draw(levels)),
        approved_scope_change_percent=draw(st.decimals(min_value=-80, max_value=150, places=2)),
        pending_change_requests=draw(st.integers(-1, 12)),
        approved_quality_impacts=tuple(draw(st.lists(st.sampled_from(QUALITY_IMPACTS), max_size=6))),
        batches_total=total,
        batches_right_first_time=draw(st.integers(-1, total + 2)),
        open_deviations_minor=draw(st.integers(-1, 12)),
        open_deviations_major=draw(st.integers(0, 6)),
        open_deviations_critical=draw(st.integers(0, 3)),
        overdue_capas=draw(st.integers(-1, 12)),
        csat_latest=draw(st.none() | st.decimals(min_value=1, max_value=5, places=2)),
        nps=draw(st.none() | st.decimals(min_value=-100, max_value=100, places=1)),
        nps_previous=draw(st.none() | st.decimals(min_value=-100, max_value=100, places=1)),
        open_risk_exposures=tuple(draw(st.lists(st.integers(-2, 25), max_size=12))),
        cost_visible=draw(st.booleans()),
    )


fraction = st.decimals(min_value=0, max_value=1, places=2)


@st.composite
def policies(draw: st.DrawFn) -> scoring.ScoringPolicy:
    amber, red = sorted([draw(st.decimals(min_value=0, max_value=100, places=2)) for _ in range(2)])
    try:
        return scoring.ScoringPolicy(
            version=draw(st.integers(1, 50)),
            weight_time=draw(fraction),
            weight_cost=draw(fraction),
            weight_scope=draw(fraction),
            weight_quality=draw(fraction),
            weight_satisfaction=draw(fraction),
            weight_risk_register=draw(fraction),
            amber_threshold=amber,
            red_threshold=red,
            slip_days_for_full_stress=draw(st.decimals(min_value=1, max_value=120, places=1)),
            spi_floor=draw(st.decimals(min_value=0, max_value="0.99", places=2)),
            cpi_floor=draw(st.decimals(min_value=0, max_value="0.99", places=2)),
            budget_growth_for_full_stress=draw(st.decimals(min_value="0.01", max_value=2, places=2)),
            critical_deviation_min_stress=draw(fraction),
            multiplier_optimize=draw(fraction),
            multiplier_accept=draw(fraction),
        )
    except ValueError:
        assume(False)
        raise


def without_words(result: dict) -> dict:
    """The result as the oracle writes it: each factor's language-neutral ``words`` (issue 15) checked, then left
    out: written in English they are exactly the factor's figure and sentence."""
    for factor in result["factors"]:
        words = factor.pop("words")
        assert (english(words["figure"]), english(words["text"])) == (factor["figure"], factor["text"])
    return result


def assert_same_result(inputs: ProjectInputs, policy: scoring.ScoringPolicy) -> scoring.ScoreResult:
    expected = reference.reference_compute_scores(inputs, policy)
    actual = scoring.compute_scores(inputs, policy)
    assert repr(actual) == repr(expected)
    assert without_words(actual.to_dict()) == reference.reference_to_dict(expected)
    return actual


@EQUIVALENCE
@given(project_inputs())
def test_scores_equal_the_reference_under_the_default_policy(inputs: ProjectInputs) -> None:
    assert_same_result(inputs, scoring.DEFAULT_POLICY)
    assert repr(scoring.compute_earned_value(inputs)) == repr(reference.compute_earned_value(inputs))


@EQUIVALENCE
@given(project_inputs(), policies())
def test_scores_equal_the_reference_under_any_policy(inputs: ProjectInputs, policy: scoring.ScoringPolicy) -> None:
    assert_same_result(inputs, policy)


def test_the_oracle_can_tell_an_exponent_apart() -> None:
    """The comparison sees a trailing zero: a result that differed only in an exponent would fail."""
    inputs = ProjectInputs(
        project_id=1,
        as_of=AS_OF,
        budget=D("1000.00"),
        original_budget=D("1000.00"),
        actual_cost=D("500.00"),
        milestones=(MilestoneInput(D("1.0000"), D("50.00"), AS_OF - timedelta(days=10), None, None),),
        tradeoff=TradeoffMatrix("constrain", "optimize", "accept", "accept"),
    )
    result = assert_same_result(inputs, scoring.DEFAULT_POLICY)
    ev = result.earned_value
    assert ev.planned_value == D("1000.00")
    assert repr(result) != repr(result).replace("Decimal('1000.00')", "Decimal('1000.0')")


@pytest.mark.parametrize("places", [0, 1, 2, 3, 5, 7])
def test_number_keeps_its_wording_for_any_number_of_places(places: int) -> None:
    from metrics.scoring.wording import number

    for value in (D("2.5"), D("-0.0005"), D("1234.56789"), D(0)):
        assert number(value, places) == reference.number(value, places)


def test_milestone_input_still_refuses_a_float() -> None:
    with pytest.raises(TypeError, match=r"MilestoneInput.percent_complete must be a Decimal, not a float"):
        MilestoneInput(D(1), 50.0, None, None, None)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------------------
# The selector and the snapshot, over a varied portfolio in PostgreSQL
# ---------------------------------------------------------------------------------------------------------------


def varied_portfolio(seed: int, n: int) -> list[int]:
    """``n`` projects whose records cover the cases the selector distinguishes (lens, status, dates, kinds)."""
    rng = random.Random(seed)  # noqa: S311 -- a reproducible portfolio, not a secret
    respondent = UserFactory()
    ids = []
    for i in range(n):
        project = ProjectFactory(
            budget=D(rng.randrange(0, 10**9)) / 100,
            tradeoff_time=rng.choice(CONSTRAINT_LEVELS),
            tradeoff_scope=rng.choice(CONSTRAINT_LEVELS),
            tradeoff_quality=rng.choice(CONSTRAINT_LEVELS),
            tradeoff_cost=rng.choice(CONSTRAINT_LEVELS),
        )
        ids.append(project.pk)
        if i % 4:
            BaselineFactory(project=project, number=1, budget=D(rng.randrange(0, 10**9)) / 100)
        all_zero = i % 7 == 3
        for sequence in range(1, rng.randrange(0, 32) + 1 if i % 6 else 1):
            baseline = None if rng.random() < 0.1 else AS_OF + timedelta(days=rng.randrange(-300, 300))
            done = baseline is not None and rng.random() < 0.4
            MilestoneFactory(
                project=project,
                sequence=sequence,
                weight=D(0) if all_zero else D(rng.randrange(0, 10001)) / 10000,
                percent_complete=D(100) if done else D(rng.randrange(0, 10000)) / 100,
                baseline_date=baseline,
                forecast_date=None
                if baseline is None or rng.random() < 0.2
                else baseline + timedelta(days=rng.randrange(-20, 90)),
                actual_date=baseline + timedelta(days=rng.randrange(-30, 60)) if done else None,
                client_visible=rng.random() < 0.8,
            )
        for _ in range(rng.randrange(0, 5)):
            CostEntryFactory(
                project=project,
                amount=D(rng.randrange(-(10**6), 10**8)) / 100,
                date=AS_OF + timedelta(days=rng.randrange(-400, 30)),
            )
        for number in range(1, rng.randrange(0, 6) + 1):
            ChangeRequestFactory(
                project=project,
                created_by=respondent,
                number=number,
                status=rng.choice(
                    [ChangeRequestStatus.APPROVED, ChangeRequestStatus.SUBMITTED, ChangeRequestStatus.DRAFT]
                ),
                cost_impact=D(rng.randrange(-(10**7), 10**7)) / 100,
                scope_impact_percent=D(rng.randrange(-200, 400)) / 10,
                quality_impact=rng.choice(QUALITY_IMPACTS),
            )
        for _ in range(rng.randrange(0, 8)):
            BatchFactory(
                project=project,
                outcome=rng.choice([BatchOutcome.PENDING, BatchOutcome.RELEASED, BatchOutcome.REJECTED]),
                right_first_time=rng.random() < 0.7,
            )
        for _ in range(rng.randrange(0, 7)):
            QualityEventFactory(
                project=project,
                kind=rng.choice(list(QualityEventKind.values)),
                severity=rng.choice(list(Severity.values)),
                visibility=rng.choice(list(Visibility.values)),
                closed=None if rng.random() < 0.6 else AS_OF - timedelta(days=3),
                due=AS_OF + timedelta(days=rng.randrange(-20, 20)) if rng.random() < 0.8 else None,
            )
        for _ in range(rng.randrange(0, 8)):
            RiskFactory(
                project=project,
                probability=rng.randrange(1, 6),
                impact=rng.randrange(1, 6),
                visibility=rng.choice(list(Visibility.values)),
                status=rng.choice([RiskStatus.OPEN, RiskStatus.OPEN, RiskStatus.CLOSED]),
            )
        for quarter in rng.sample([date(2026, 10, 1), date(2026, 7, 1), date(2026, 4, 1)], rng.randrange(0, 4)):
            for _ in range(rng.randrange(1, 4)):
                make_response(
                    project, respondent, nps=rng.randrange(0, 11), overall=rng.randrange(1, 6), quarter=quarter
                )
    return ids


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2])
def test_inputs_and_snapshots_equal_the_reference(seed: int) -> None:
    ids = varied_portfolio(seed, 24)
    now = dt.datetime(2026, 11, 24, 10, 7, tzinfo=dt.UTC)
    bucket = services.bucket_of(now)
    policy = scoring.DEFAULT_POLICY
    fields = [f.attname for f in services.ScoreSnapshot._meta.concrete_fields]
    compared = 0
    for lens in ScoreLens.values:
        expected = reference.reference_scoring_inputs(ids, as_of=AS_OF, lens=lens)
        actual = scoring_inputs(ids, as_of=AS_OF, lens=lens)
        assert list(actual) == list(expected)
        for pid in ids:
            assert repr(actual[pid]) == repr(expected[pid])
            result = scoring.compute_scores(actual[pid], policy)
            snapshot = services._snapshot(result, actual[pid], bucket, now, lens)
            oracle = reference.reference_snapshot(
                reference.reference_compute_scores(expected[pid], policy), expected[pid], bucket, now, lens
            )
            assert snapshot._state.adding
            snapshot.result = without_words(snapshot.result)
            assert {f: repr(getattr(snapshot, f)) for f in fields} == {f: repr(getattr(oracle, f)) for f in fields}
            compared += 1
    assert compared == 2 * len(ids)
    # The portfolio is varied enough to mean something: every case the selector tells apart occurs.
    cmo = reference.reference_scoring_inputs(ids, as_of=AS_OF, lens=ScoreLens.CMO).values()
    client = reference.reference_scoring_inputs(ids, as_of=AS_OF, lens=ScoreLens.CLIENT).values()
    assert any(not i.milestones for i in cmo)
    assert any(len(i.milestones) > 20 for i in cmo)
    assert sum(len(i.milestones) for i in client) < sum(len(i.milestones) for i in cmo)
    assert any(i.pending_change_requests for i in cmo)
    assert any(i.approved_quality_impacts for i in cmo)
    assert any(i.open_deviations_critical or i.open_deviations_major for i in cmo)
    assert any(i.overdue_capas for i in cmo)
    assert any(i.nps_previous is not None for i in cmo)
    assert any(i.csat_latest is None for i in cmo)
    assert any(i.actual_cost for i in cmo)
    assert any(i.open_risk_exposures for i in client)
