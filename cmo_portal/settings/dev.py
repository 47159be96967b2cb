"""Local development (``make run``): debug on unless DJANGO_DEBUG says otherwise."""

from cmo_portal.env import env
from cmo_portal.settings.base import *  # noqa: F403

DEBUG = env.bool("DJANGO_DEBUG", default=True)
