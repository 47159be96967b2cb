"""Django's model registry of the metrics app: every model class, imported from its sub-package."""

from metrics.export_jobs.models import ExportJob
from metrics.lean.models import ClientKpiTarget, LeanSnapshot
from metrics.periodic_runs.models import PeriodicRun
from metrics.scores.models import CurrentScore, ScoreSnapshot, ScoringPolicy, TradeoffProposal
from metrics.surveys.models import SurveyInvitation, SurveyResponse, SurveyRound

__all__ = [
    "CurrentScore",
    "ClientKpiTarget",
    "ExportJob",
    "LeanSnapshot",
    "PeriodicRun",
    "ScoreSnapshot",
    "ScoringPolicy",
    "SurveyInvitation",
    "SurveyResponse",
    "SurveyRound",
    "TradeoffProposal",
]
