"""iCalendar feed of a project's milestones (what the user may see), for Outlook or Google Calendar."""

import datetime as dt

from icalendar import Calendar, Event


def milestones_ics(project, milestones, *, now: dt.datetime) -> bytes:
    """One all-day event per milestone on its forecast (or actual) date; stable UIDs so updates replace."""
    calendar = Calendar()
    calendar.add("prodid", "-//CMO Portal//Milestones//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{project.code} milestones")
    for m in milestones:
        day = m.actual_date or m.forecast_date or m.baseline_date
        if day is None:
            continue
        event = Event()
        event.add("uid", f"milestone-{m.pk}@cmo-portal")
        event.add("dtstamp", now)
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
        state = "completed" if m.actual_date else f"forecast, baseline {m.baseline_date:%d %b %Y}"
        event.add("summary", f"{project.code}: {m.name}")
        event.add("description", f"{m.name} ({state}); {m.percent_complete:.0f}% complete.")
        calendar.add_component(event)
    return calendar.to_ical()
