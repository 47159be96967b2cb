"""Satisfaction surveys: rounds, invitations, answers, NPS and CSAT, the survey pages and API."""
