"""Client satisfaction figures, pure: NPS and CSAT from the answers' scores (no database).

* NPS per F. F. Reichheld, "The One Number You Need to Grow", HBR Dec 2003 (Bain's Net Promoter
  System): % promoters (9–10) − % detractors (0–6), from −100 to 100, reported to 0.1.
* CSAT: the mean of the 1–5 answers (to 0.01) and the share of satisfied answers, 4 or 5 (the
  "top-two-box" CSAT, %, to 0.1). Project and group figures use the *overall* question.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

PROMOTER_MIN = 9

DETRACTOR_MAX = 6

SATISFIED_MIN = 4

FOLLOW_UP_CSAT_MAX = 2

NPS_QUANTUM = Decimal("0.1")

CSAT_QUANTUM = Decimal("0.01")

PERCENT_QUANTUM = Decimal("0.1")


def net_promoter_score(*, promoters: int, detractors: int, responses: int) -> Decimal | None:
    """% promoters − % detractors (−100..100); None without responses."""
    if responses <= 0:
        return None
    return (Decimal(100) * (promoters - detractors) / responses).quantize(NPS_QUANTUM, ROUND_HALF_UP)


@dataclass(frozen=True)
class NpsSummary:
    promoters: int
    passives: int
    detractors: int

    @property
    def responses(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def nps(self) -> Decimal | None:
        return net_promoter_score(promoters=self.promoters, detractors=self.detractors, responses=self.responses)


def nps_summary(scores: Iterable[int]) -> NpsSummary:
    """Count promoters (9–10), passives (7–8) and detractors (0–6) of 0–10 answers."""
    promoters = passives = detractors = 0
    for score in scores:
        if not 0 <= score <= 10:
            raise ValueError(f"An NPS answer is 0..10, not {score}.")
        if score >= PROMOTER_MIN:
            promoters += 1
        elif score <= DETRACTOR_MAX:
            detractors += 1
        else:
            passives += 1
    return NpsSummary(promoters, passives, detractors)


def csat_mean(*, total: int, responses: int) -> Decimal | None:
    if responses <= 0:
        return None
    return (Decimal(total) / responses).quantize(CSAT_QUANTUM, ROUND_HALF_UP)


def percent(part: int, whole: int) -> Decimal | None:
    if whole <= 0:
        return None
    return (Decimal(100) * part / whole).quantize(PERCENT_QUANTUM, ROUND_HALF_UP)


@dataclass(frozen=True)
class CsatSummary:
    responses: int
    total: int
    satisfied: int

    @property
    def mean(self) -> Decimal | None:
        return csat_mean(total=self.total, responses=self.responses)

    @property
    def satisfied_percent(self) -> Decimal | None:
        """Share of answers 4–5 ("top-two-box"), %."""
        return percent(self.satisfied, self.responses)


def csat_summary(scores: Iterable[int]) -> CsatSummary:
    values = list(scores)
    if any(not 1 <= v <= 5 for v in values):
        raise ValueError("A CSAT answer is 1..5.")
    return CsatSummary(len(values), sum(values), sum(1 for v in values if v >= SATISFIED_MIN))


def needs_follow_up(*, nps: int, csat: Iterable[int]) -> bool:
    """A detractor (NPS 0–6) or any CSAT of 1–2: the CMO opens a shared issue to act on it."""
    return nps <= DETRACTOR_MAX or any(c <= FOLLOW_UP_CSAT_MAX for c in csat)


def change(current: Decimal | None, previous: Decimal | None) -> Decimal | None:
    return None if current is None or previous is None else current - previous
