"""iCalendar feed of a project's milestones (what the user may see), for Outlook or Google Calendar.

The words are in the active language (the page's, or the link's user's for a subscribed feed)."""

import datetime as dt

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vText


def milestones_ics(project, milestones, *, now: dt.datetime) -> bytes:
    """One all-day event per milestone on its forecast (or actual) date; stable UIDs so updates replace."""
    calendar = Calendar()
    calendar.add("prodid", "-//CMO Portal//Milestones//EN")
    calendar.add("version", "2.0")
    name = _("%(code)s milestones") % {"code": project.code}
    calendar.add("x-wr-calname", vText(name))  # as text: an x- property is not escaped
    for m in milestones:
        event = _milestone_event(project, m, now=now)
        if event is not None:
            calendar.add_component(event)
    return calendar.to_ical()


def subscription_ics(milestones, *, now: dt.datetime) -> bytes:
    """The subscribed feed: milestones of several projects (``m.project`` loaded), same events and UIDs."""
    calendar = Calendar()
    calendar.add("prodid", "-//CMO Portal//Milestones//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("CMO Portal milestones"))
    calendar.add("x-published-ttl", "PT1H")
    for m in milestones:
        event = _milestone_event(m.project, m, now=now)
        if event is not None:
            calendar.add_component(event)
    return calendar.to_ical()


def _milestone_event(project, m, *, now: dt.datetime) -> Event | None:
    day = m.actual_date or m.forecast_date or m.baseline_date
    if day is None:
        return None
    event = Event()
    event.add("uid", f"milestone-{m.pk}@cmo-portal")
    event.add("dtstamp", now)
    event.add("dtstart", day)
    event.add("dtend", day + dt.timedelta(days=1))
    percent = f"{m.percent_complete:.0f}"
    if m.actual_date:
        description = _("%(name)s (completed); %(percent)s%% complete.")
    elif m.baseline_date:
        description = _("%(name)s (forecast, baseline %(date)s); %(percent)s%% complete.")
    else:
        description = _("%(name)s (forecast, not yet baselined); %(percent)s%% complete.")
    date = date_format(m.baseline_date, "d M Y") if m.baseline_date else ""
    event.add("summary", f"{project.code}: {m.name}")
    event.add("description", description % {"name": m.name, "date": date, "percent": percent})
    return event
