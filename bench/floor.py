"""The recompute's floor: one set-based SQL pass over the same inputs, writing one row per project.

It reads what ``metrics.scores.selectors.scoring_inputs`` reads for both lenses (projects, the first baseline,
cost entries up to today, milestones, approved and submitted change requests, decided batches, open quality
events, open risks, the survey answers of the latest two quarters) and computes per project, for the CMO lens
and the client lens, the figures the scores are made of (planned and earned value, SPI, CPI, weighted slip,
scope change, pending changes, right-first-time, open deviations by severity, overdue CAPAs, risk exposure,
CSAT, NPS and its previous quarter), then a risk-like score; it writes them into a temporary table.

No real recompute can do less work than this: it is the time PostgreSQL needs to read the inputs once and write
one row per project. ``make bench`` reports the recompute as a multiple of it (target: at most 2x).
"""

import datetime as dt
import time

from django.db import connection, transaction

from metrics.quarters import previous_quarter, quarter_of

FLOOR_SQL = """
CREATE TEMPORARY TABLE bench_floor (
    project_id bigint PRIMARY KEY,
    planned_value numeric, earned_value numeric, actual_cost numeric, spi numeric, cpi numeric,
    slip_days numeric, scope_change numeric, pending_changes integer, quality_impacts integer, rft numeric,
    deviation_points integer, overdue_capas integer, exposure integer, csat numeric, nps numeric,
    nps_previous numeric, risk numeric,
    client_planned_value numeric, client_earned_value numeric, client_spi numeric, client_slip_days numeric,
    client_deviation_points integer, client_exposure integer, client_risk numeric
) ON COMMIT DROP;

INSERT INTO bench_floor
WITH p AS (
    SELECT id, budget FROM projects_project WHERE status = 'active'
), baseline AS (
    SELECT project_id, budget FROM projects_baseline WHERE number = 1
), cost AS (
    SELECT project_id, sum(amount) AS total FROM projects_costentry WHERE date <= %(as_of)s GROUP BY project_id
), ms AS (
    SELECT project_id,
        sum(weight) AS w,
        sum(weight) FILTER (WHERE baseline_date <= %(as_of)s) AS due,
        sum(weight * least(greatest(percent_complete, 0), 100)) AS done,
        sum(weight * greatest(0, coalesce(actual_date, forecast_date) - baseline_date)) AS slip,
        sum(weight) FILTER (WHERE client_visible) AS cw,
        sum(weight) FILTER (WHERE client_visible AND baseline_date <= %(as_of)s) AS cdue,
        sum(weight * least(greatest(percent_complete, 0), 100)) FILTER (WHERE client_visible) AS cdone,
        sum(weight * greatest(0, coalesce(actual_date, forecast_date) - baseline_date))
            FILTER (WHERE client_visible) AS cslip
    FROM projects_milestone GROUP BY project_id
), cr AS (
    SELECT project_id,
        count(*) FILTER (WHERE status = 'submitted') AS pending,
        coalesce(sum(scope_impact_percent) FILTER (WHERE status = 'approved'), 0) AS scope,
        coalesce(sum(cost_impact) FILTER (WHERE status = 'approved'), 0) AS cost,
        count(*) FILTER (WHERE status = 'approved' AND quality_impact <> 'none') AS impacts
    FROM projects_changerequest WHERE status IN ('approved', 'submitted') GROUP BY project_id
), batch AS (
    SELECT project_id, count(*) AS total,
        count(*) FILTER (WHERE right_first_time AND outcome = 'released') AS rft
    FROM projects_batch WHERE outcome <> 'pending' GROUP BY project_id
), quality AS (
    SELECT project_id,
        sum(CASE severity WHEN 'minor' THEN 1 WHEN 'major' THEN 3 ELSE 10 END)
            FILTER (WHERE kind IN ('deviation', 'oos')) AS points,
        sum(CASE severity WHEN 'minor' THEN 1 WHEN 'major' THEN 3 ELSE 10 END)
            FILTER (WHERE kind IN ('deviation', 'oos') AND visibility = 'shared') AS cpoints,
        count(*) FILTER (WHERE kind = 'capa' AND due < %(as_of)s) AS overdue
    FROM projects_qualityevent WHERE closed IS NULL GROUP BY project_id
), risk AS (
    SELECT project_id, sum(probability * impact) AS exposure,
        sum(probability * impact) FILTER (WHERE visibility = 'shared') AS cexposure
    FROM projects_risk WHERE status = 'open' GROUP BY project_id
), survey AS (
    SELECT project_id,
        avg(csat_overall) FILTER (WHERE quarter = %(quarter)s) AS csat,
        100.0 * (count(*) FILTER (WHERE quarter = %(quarter)s AND nps >= 9)
            - count(*) FILTER (WHERE quarter = %(quarter)s AND nps <= 6))
            / nullif(count(*) FILTER (WHERE quarter = %(quarter)s), 0) AS nps,
        100.0 * (count(*) FILTER (WHERE quarter = %(previous)s AND nps >= 9)
            - count(*) FILTER (WHERE quarter = %(previous)s AND nps <= 6))
            / nullif(count(*) FILTER (WHERE quarter = %(previous)s), 0) AS nps_previous
    FROM metrics_surveyresponse WHERE quarter IN (%(quarter)s, %(previous)s) GROUP BY project_id
), figures AS (
    SELECT p.id,
        p.budget * coalesce(ms.due, 0) / nullif(ms.w, 0) AS pv,
        p.budget * coalesce(ms.done, 0) / nullif(100 * ms.w, 0) AS ev,
        coalesce(cost.total, 0) AS ac,
        coalesce(ms.slip / nullif(ms.w, 0), 0) AS slip,
        p.budget * coalesce(ms.cdue, 0) / nullif(ms.cw, 0) AS cpv,
        p.budget * coalesce(ms.cdone, 0) / nullif(100 * ms.cw, 0) AS cev,
        coalesce(ms.cslip / nullif(ms.cw, 0), 0) AS cslip,
        coalesce(cr.scope, 0) AS scope, coalesce(cr.pending, 0) AS pending, coalesce(cr.impacts, 0) AS impacts,
        coalesce(p.budget - coalesce(baseline.budget, p.budget - coalesce(cr.cost, 0)), 0) AS growth,
        batch.rft::numeric / nullif(batch.total, 0) AS rft,
        coalesce(quality.points, 0) AS points, coalesce(quality.cpoints, 0) AS cpoints,
        coalesce(quality.overdue, 0) AS overdue,
        coalesce(risk.exposure, 0) AS exposure, coalesce(risk.cexposure, 0) AS cexposure,
        survey.csat, survey.nps, survey.nps_previous
    FROM p
    LEFT JOIN baseline ON baseline.project_id = p.id
    LEFT JOIN cost ON cost.project_id = p.id
    LEFT JOIN ms ON ms.project_id = p.id
    LEFT JOIN cr ON cr.project_id = p.id
    LEFT JOIN batch ON batch.project_id = p.id
    LEFT JOIN quality ON quality.project_id = p.id
    LEFT JOIN risk ON risk.project_id = p.id
    LEFT JOIN survey ON survey.project_id = p.id
)
SELECT id, pv, ev, ac, ev / nullif(pv, 0), ev / nullif(ac, 0), slip, scope, pending, impacts, rft, points, overdue,
    exposure, csat, nps, nps_previous,
    100 * (least(slip / 30, 1) + least(greatest(1 - ev / nullif(ac, 0), 0), 1) + least(abs(scope) / 20, 1)
        + least(points / 10.0, 1) + least(greatest(coalesce(nps_previous - nps, 0), 0) / 30, 1)
        + least(exposure / 50.0, 1)) / 6,
    cpv, cev, cev / nullif(cpv, 0), cslip, cpoints, cexposure,
    100 * (least(cslip / 30, 1) + least(abs(scope) / 20, 1) + least(cpoints / 10.0, 1)
        + least(greatest(coalesce(nps_previous - nps, 0), 0) / 30, 1) + least(cexposure / 50.0, 1)) / 6
FROM figures
"""


def run_floor(as_of: dt.date) -> tuple[float, int]:
    """One floor pass in its own transaction; returns (seconds, rows written)."""
    quarter = quarter_of(as_of)
    params = {"as_of": as_of, "quarter": quarter, "previous": previous_quarter(quarter)}
    create, insert = FLOOR_SQL.split(";\n\nINSERT", 1)
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(create)
        cursor.execute("INSERT" + insert, params)
        rows = cursor.rowcount
    return time.perf_counter() - start, rows


def run_write_floor(bucket: dt.datetime) -> tuple[float, int]:
    """The write floor of the recompute: copy the snapshots of one bucket (both lenses) with one INSERT ... SELECT
    into a temporary table shaped like the snapshot table, unique index included."""
    from metrics.scores.models import ScoreSnapshot

    table = ScoreSnapshot._meta.db_table
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE bench_write_floor (LIKE {table} INCLUDING ALL) ON COMMIT DROP"  # noqa: S608
        )
        cursor.execute(f"INSERT INTO bench_write_floor SELECT * FROM {table} WHERE bucket = %s", [bucket])  # noqa: S608
        rows = cursor.rowcount
    return time.perf_counter() - start, rows
