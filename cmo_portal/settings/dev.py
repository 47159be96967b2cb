"""Local development (``make run``): the demo as a user meets it.

Debug stays off unless DJANGO_DEBUG=true, so a page a user may not see answers with the
portal's own 404/403/500 pages rather than Django's debug page (which lists every URL).
WhiteNoise serves the static files straight from the apps and ``static/`` (no collectstatic).
"""

from cmo_portal.env import env
from cmo_portal.settings.base import *  # noqa: F403

DEBUG = env.bool("DJANGO_DEBUG", default=False)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
