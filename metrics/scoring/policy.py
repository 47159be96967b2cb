"""The scoring policy: versioned weights and thresholds (defaults and units in docs/scoring.md)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from metrics.scoring.arithmetic import HUNDRED, ONE, ZERO
from metrics.scoring.inputs import CONSTRAINT_LEVELS, QUALITY_IMPACTS, Dimension


@dataclass(frozen=True)
class ScoringPolicy:
    """Versioned weights and thresholds; every score records the policy version it was computed with.

    Fields named ``*_for_full_stress`` are the value at which a stress component reaches 1;
    ``*_floor`` fields are the index value at or below which a component reaches 1.
    """

    version: int = 1
    # Risk score weights (relative; they need not sum to 1).
    weight_time: Decimal = Decimal("0.25")
    weight_cost: Decimal = Decimal("0.20")
    weight_scope: Decimal = Decimal("0.10")
    weight_quality: Decimal = Decimal("0.25")
    weight_satisfaction: Decimal = Decimal("0.10")
    weight_risk_register: Decimal = Decimal("0.10")
    # RAG bands on the risk score (0..100).
    amber_threshold: Decimal = Decimal(35)
    red_threshold: Decimal = Decimal(60)
    # Time.
    slip_days_for_full_stress: Decimal = Decimal(30)
    spi_floor: Decimal = Decimal("0.60")
    # Cost.
    cpi_floor: Decimal = Decimal("0.80")
    budget_growth_for_full_stress: Decimal = Decimal("0.20")
    # Scope.
    scope_change_percent_for_full_stress: Decimal = Decimal(20)
    pending_change_request_stress: Decimal = Decimal("0.10")
    pending_change_request_stress_cap: Decimal = Decimal("0.50")
    # Quality.
    rft_floor: Decimal = Decimal("0.50")
    severity_points_minor: Decimal = Decimal(1)
    severity_points_major: Decimal = Decimal(3)
    severity_points_critical: Decimal = Decimal(10)
    deviation_points_for_full_stress: Decimal = Decimal(20)
    critical_deviation_min_stress: Decimal = Decimal("0.60")
    overdue_capa_stress: Decimal = Decimal("0.10")
    quality_impact_points_for_full_stress: Decimal = Decimal(10)
    # Satisfaction.
    nps_drop_for_full_stress: Decimal = Decimal(40)
    # Risk register.
    exposure_for_full_stress: Decimal = Decimal(50)
    # Tradeoff multipliers, per ConstraintLevel.
    multiplier_constrain: Decimal = Decimal("1.0")
    multiplier_optimize: Decimal = Decimal("0.5")
    multiplier_accept: Decimal = Decimal("0.2")

    def __post_init__(self) -> None:
        errors: list[str] = []
        weights = self.weights()
        if any(w < 0 for w in weights.values()):
            errors.append("weights must not be negative")
        if sum(weights.values(), ZERO) <= 0:
            errors.append("at least one weight must be positive")
        if not ZERO <= self.amber_threshold <= self.red_threshold <= HUNDRED:
            errors.append("thresholds must satisfy 0 <= amber_threshold <= red_threshold <= 100")
        for name in ("spi_floor", "cpi_floor", "rft_floor"):
            if not ZERO <= getattr(self, name) < ONE:
                errors.append(f"{name} must be in [0, 1)")
        for name in (
            "slip_days_for_full_stress",
            "budget_growth_for_full_stress",
            "scope_change_percent_for_full_stress",
            "deviation_points_for_full_stress",
            "quality_impact_points_for_full_stress",
            "nps_drop_for_full_stress",
            "exposure_for_full_stress",
        ):
            if getattr(self, name) <= 0:
                errors.append(f"{name} must be positive")
        for name in (
            "severity_points_minor",
            "severity_points_major",
            "severity_points_critical",
            "pending_change_request_stress",
            "overdue_capa_stress",
        ):
            if getattr(self, name) < 0:
                errors.append(f"{name} must not be negative")
        for name in (
            "pending_change_request_stress_cap",
            "critical_deviation_min_stress",
            "multiplier_constrain",
            "multiplier_optimize",
            "multiplier_accept",
        ):
            if not ZERO <= getattr(self, name) <= ONE:
                errors.append(f"{name} must be in [0, 1]")
        if errors:
            raise ValueError("Invalid ScoringPolicy: " + "; ".join(errors) + ".")

    def weights(self) -> dict[Dimension, Decimal]:
        """Risk score weight per dimension."""
        return {
            "time": self.weight_time,
            "cost": self.weight_cost,
            "scope": self.weight_scope,
            "quality": self.weight_quality,
            "satisfaction": self.weight_satisfaction,
            "risk_register": self.weight_risk_register,
        }

    def multiplier(self, level: str) -> Decimal:
        """Tradeoff multiplier of a ConstraintLevel."""
        if level == "constrain":
            return self.multiplier_constrain
        if level == "optimize":
            return self.multiplier_optimize
        if level == "accept":
            return self.multiplier_accept
        raise ValueError(f"Unknown constraint level {level!r}; expected one of {', '.join(CONSTRAINT_LEVELS)}.")

    def severity_points(self, severity: str) -> Decimal:
        """Points of a deviation or change-request quality impact of ``severity``."""
        if severity == "none":
            return ZERO
        if severity == "minor":
            return self.severity_points_minor
        if severity == "major":
            return self.severity_points_major
        if severity == "critical":
            return self.severity_points_critical
        raise ValueError(f"Unknown quality impact {severity!r}; expected one of {', '.join(QUALITY_IMPACTS)}.")


DEFAULT_POLICY: Final = ScoringPolicy()
