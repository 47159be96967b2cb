"""iCalendar feed of a project's milestones (what the user may see), for Outlook or Google Calendar."""

import datetime as dt

from icalendar import Calendar, Event, vText


def milestones_ics(project, milestones, *, now: dt.datetime) -> bytes:
    """One all-day event per milestone on its forecast (or actual) date; stable UIDs so updates replace."""
    calendar = Calendar()
    calendar.add("prodid", "-//CMO Portal//Milestones//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", vText(f"{project.code} milestones"))  # as text: an x- property is not escaped
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
    calendar.add("x-wr-calname", "CMO Portal milestones")
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
    if m.actual_date:
        state = "completed"
    elif m.baseline_date:
        state = f"forecast, baseline {m.baseline_date:%d %b %Y}"
    else:
        state = "forecast, not yet baselined"
    event.add("summary", f"{project.code}: {m.name}")
    event.add("description", f"{m.name} ({state}); {m.percent_complete:.0f}% complete.")
    return event
