"""What a change request's schedule impact moves: one rule for approval, the signer's page and the what-if.

Pure Python (no framework): ``projects.services`` applies it on approval, the change-request page lists
what it moves before signing, and ``metrics.scoring.apply_change`` computes the what-if with it, so the
scores the approver is shown are the scores approval produces.
"""

import datetime as dt
from collections.abc import Collection


def moves_with_change(
    *,
    milestone_id: int | None,
    baseline_date: dt.date | None,
    forecast_date: dt.date | None,
    actual_date: dt.date | None,
    selected: Collection[int] | None,
) -> bool:
    """True when approving the change moves this milestone's forecast.

    Only open milestones (no actual date) with a date to move from (forecast, else baseline) move;
    ``selected`` is the change request's chosen milestones, or None for "every open milestone".
    """
    if actual_date is not None or (forecast_date is None and baseline_date is None):
        return False
    return selected is None or (milestone_id is not None and milestone_id in selected)


def moved_forecast(*, baseline_date: dt.date | None, forecast_date: dt.date | None, days: int) -> dt.date:
    """The forecast after the change: the current forecast (or, without one, the baseline) plus ``days``."""
    anchor = forecast_date if forecast_date is not None else baseline_date
    if anchor is None:
        raise ValueError("A milestone without a forecast or a baseline date has nothing to move.")
    return anchor + dt.timedelta(days=days)
