"""Reading a project plan (Microsoft Project XML or CSV) into milestone rows to preview and import.

No database here: the file's bytes in, a ``PlanPreview`` out (the rows to import, the line-level errors
and warnings). ``projects.milestones.services.milestones_import_plan`` writes a preview without errors.

Microsoft Project XML (MSPDI, "Save As › XML") is read with the standard library's expat, which gives the
line of each ``<Task>``; a document type declaration (so any entity) is refused before it is read, which
closes XXE and entity expansion ("billion laughs"). Dependencies: the portal's are finish-to-finish, so an
MS Project finish-to-start (FS) or finish-to-finish (FF) link becomes one (FS implies FF); a start-to-start
(SS) or start-to-finish (SF) link says nothing about finishes and is left out with a warning naming its line.
When only the milestones are imported, a milestone's predecessors are found through the tasks in between
(A → task → B gives A → B); a summary task finishes with its last sub-task.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.parsers import expat

from django.utils import dateformat, formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.input_ranges import EARLIEST_DATE, LATEST_DATE, date_in_range

MAX_PLAN_BYTES = 2_000_000
MAX_PLAN_TASKS = 2_000
MAX_NAME_LENGTH = 200  # Milestone.name
MAX_MESSAGES = 50  # errors shown; the count of the others is added

SCOPE_MILESTONES = "milestones"
SCOPE_TASKS = "tasks"

#: MS Project's PredecessorLink/Type codes.
LINK_TYPES = {"0": "FF", "1": "FS", "2": "SF", "3": "SS"}
FINISH_LINKS = {"FF", "FS"}


class PlanFileRefused(Exception):
    """The whole file is refused (not XML, a DOCTYPE, too many tasks): one message naming the line."""


@dataclass(frozen=True)
class PlanLink:
    predecessor: str  # the predecessor's key (UID or CSV id)
    kind: str  # FF, FS, SF, SS
    line: int


@dataclass
class PlanTask:
    """One task of the file as read, before selection (mutable while the parser fills it)."""

    line: int
    key: str = ""
    name: str = ""
    raw_start: str = ""
    raw_finish: str = ""
    start: dt.date | None = None  # parsed from raw_start by select_rows, which reports a bad one
    finish: dt.date | None = None
    milestone: bool = False
    summary: bool = False
    outline: str = ""
    skip: bool = False  # MS Project's project summary (UID 0) and blank rows
    links: list[PlanLink] = field(default_factory=list)


@dataclass(frozen=True)
class PlanRow:
    """One milestone to create: due on ``finish``; ``predecessors`` are keys of other rows."""

    line: int
    key: str
    name: str
    start: dt.date | None
    finish: dt.date
    predecessors: tuple[str, ...]

    @property
    def duration_days(self) -> int:
        return max(0, (self.finish - self.start).days) if self.start else 0


@dataclass(frozen=True)
class PlanPreview:
    source: str  # "Microsoft Project XML" | "CSV"
    rows: tuple[PlanRow, ...]
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    tasks_read: int
    # The plan's first start and last finish over all its tasks (summaries too), for a new project's dates.
    first_day: dt.date | None = None
    last_day: dt.date | None = None

    @property
    def importable(self) -> bool:
        return not self.errors and bool(self.rows)


def read_plan(data: bytes, *, filename: str = "", scope: str = SCOPE_MILESTONES) -> PlanPreview:
    """Parse and check a plan file; never raises for bad content (the preview carries the errors)."""
    if len(data) > MAX_PLAN_BYTES:
        return _refused("", _("The file is larger than %(size)s MB.") % {"size": MAX_PLAN_BYTES // 1_000_000})
    name = filename.lower()
    if name.endswith(".mpp"):
        return _refused(
            "",
            _("An .mpp file is not read here: in Microsoft Project use File › Save As › XML (*.xml) and import that."),
        )
    looks_xml = data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") or name.endswith(".xml")
    if looks_xml:
        try:
            tasks = parse_mspdi(data)
        except PlanFileRefused as refused:
            return _refused("Microsoft Project XML", str(refused))
        return select_rows(tasks, source="Microsoft Project XML", scope=scope)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return _refused("CSV", _("The file is neither Microsoft Project XML nor UTF-8 CSV text."))
    try:
        tasks = parse_plan_csv(text)
    except PlanFileRefused as refused:
        return _refused("CSV", str(refused))
    return select_rows(tasks, source="CSV", scope=SCOPE_TASKS)


def _refused(source: str, message: str) -> PlanPreview:
    return PlanPreview(source=source, rows=(), errors=(message,), warnings=(), tasks_read=0)


# --- Microsoft Project XML (MSPDI) ----------------------------------------------------------------------

_TASK_FIELDS = {"UID", "Name", "Start", "Finish", "Milestone", "Summary", "OutlineNumber", "OutlineLevel", "IsNull"}
_LINK_FIELDS = {"PredecessorUID", "Type"}


def parse_mspdi(data: bytes) -> list[PlanTask]:
    """The ``<Task>`` elements of an MSPDI document, each with the line it starts on.

    Refuses (``PlanFileRefused``) a DOCTYPE or entity declaration, malformed XML, another root element and
    more than ``MAX_PLAN_TASKS`` tasks. Bad values are not refused here: ``select_rows`` reports them.
    """
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    tasks: list[PlanTask] = []
    stack: list[str] = []
    text: list[str] = []
    values: dict[str, str] = {}
    link: dict[str, str] = {}
    link_line = 0
    current: PlanTask | None = None

    def refuse_doctype(*_args: object) -> None:
        raise PlanFileRefused(
            _(
                "Line %(line)s: the file declares a document type (DOCTYPE); "
                "a Microsoft Project XML file has none, and entities are not read here."
            )
            % {"line": parser.CurrentLineNumber}
        )

    def refuse_entity(*_args: object) -> int:
        raise PlanFileRefused(
            _("Line %(line)s: entity declarations are not read here.") % {"line": parser.CurrentLineNumber}
        )

    def start(tag: str, _attrs: dict[str, str]) -> None:
        nonlocal current, link_line
        local = tag.rsplit(" ", 1)[-1]
        if not stack and local != "Project":
            raise PlanFileRefused(
                _(
                    "Line %(line)s: the root element is <%(element)s>, not <Project>: "
                    "this is not a Microsoft Project XML (MSPDI) file."
                )
                % {"line": parser.CurrentLineNumber, "element": local}
            )
        stack.append(local)
        text.clear()
        if stack[-3:] == ["Project", "Tasks", "Task"] and len(stack) == 3:
            if len(tasks) >= MAX_PLAN_TASKS:
                raise PlanFileRefused(
                    _("Line %(line)s: the plan has more than %(limit)s tasks; import it in parts.")
                    % {"line": parser.CurrentLineNumber, "limit": _max_tasks()}
                )
            current = PlanTask(line=parser.CurrentLineNumber)
            values.clear()
        elif current is not None and stack[-2:] == ["Task", "PredecessorLink"] and len(stack) == 4:
            link.clear()
            link_line = parser.CurrentLineNumber

    def end(tag: str) -> None:
        nonlocal current
        local = stack.pop()
        content = "".join(text).strip()
        text.clear()
        if current is None:
            return
        depth = len(stack)
        if depth == 3 and local in _TASK_FIELDS:
            values[local] = content
        elif depth == 4 and stack[-1] == "PredecessorLink" and local in _LINK_FIELDS:
            link[local] = content
        elif depth == 3 and local == "PredecessorLink":
            kind = LINK_TYPES.get(link.get("Type", "1"), "")
            if not kind:
                kind = "?" + link.get("Type", "")
            current.links.append(PlanLink(predecessor=link.get("PredecessorUID", ""), kind=kind, line=link_line))
        elif depth == 2 and local == "Task":
            _fill_task(current, values)
            tasks.append(current)
            current = None

    def characters(content: str) -> None:
        text.append(content)

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_entity
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise PlanFileRefused(
            _("Line %(line)s: the file is not well-formed XML (%(problem)s).")
            % {"line": error.lineno, "problem": expat.errors.messages[error.code]}
        ) from error
    except RecursionError as error:  # pragma: no cover - expat does not recurse; kept for safety
        raise PlanFileRefused(_("The XML is nested too deeply.")) from error
    return tasks


def _fill_task(task: PlanTask, values: dict[str, str]) -> None:
    task.key = values.get("UID", "")
    task.name = values.get("Name", "")
    task.milestone = values.get("Milestone", "0").lower() in {"1", "true"}
    task.summary = values.get("Summary", "0").lower() in {"1", "true"}
    task.outline = values.get("OutlineNumber", "")
    task.skip = (
        values.get("IsNull", "0").lower() in {"1", "true"} or task.key == "0" or values.get("OutlineLevel") == "0"
    )
    task.raw_start = values.get("Start", "")
    task.raw_finish = values.get("Finish", "")


# --- CSV --------------------------------------------------------------------------------------------------

CSV_REQUIRED = ("name", "finish")
CSV_ALIASES = {"date": "finish", "due": "finish", "due_date": "finish", "uid": "id", "depends_on": "predecessors"}


def parse_plan_csv(text: str) -> list[PlanTask]:
    """Rows of ``id,name,start,finish,predecessors`` (``name`` and ``finish`` required; ``predecessors``: ids
    separated by ``;``); each task's line is the physical line it starts on. Every row is a milestone."""
    reader = csv.DictReader(io.StringIO(text))
    header = [CSV_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        raise PlanFileRefused(
            _("Line 1: the header lacks the column(s) %(columns)s (expected id,name,start,finish,predecessors).")
            % {"columns": ", ".join(missing)}
        )
    reader.fieldnames = header
    tasks: list[PlanTask] = []
    line = 1
    for row in reader:
        if len(tasks) >= MAX_PLAN_TASKS:
            raise PlanFileRefused(
                _("Line %(line)s: the plan has more than %(limit)s rows; import it in parts.")
                % {"line": line + 1, "limit": _max_tasks()}
            )
        line_start = line + 1
        line = reader.line_num
        cells = {k: (v or "").strip() for k, v in row.items() if isinstance(k, str)}
        if not any(cells.values()):
            continue
        task = PlanTask(line=line_start, key=cells.get("id") or f"row {len(tasks) + 1}", name=cells.get("name", ""))
        task.milestone = True
        task.raw_start = cells.get("start", "")
        task.raw_finish = cells.get("finish", "")
        for key in re.split(r"[;\s]+", cells.get("predecessors", "")):
            if key:
                task.links.append(PlanLink(predecessor=key, kind="FF", line=line_start))
        tasks.append(task)
    return tasks


# --- Selection and checks ---------------------------------------------------------------------------------


def _parse_day(raw: str) -> dt.date | None:
    """An ISO date or date-time (MSPDI writes ``2027-01-11T08:00:00``); None when empty; ValueError if bad."""
    text = raw.strip()
    if not text:
        return None
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    return dt.datetime.fromisoformat(text).date()


def _max_tasks() -> str:
    return formats.number_format(MAX_PLAN_TASKS, force_grouping=True)


def _label(task: PlanTask) -> str:
    """``Line 12, task 7 “GMP batch 1 released”``: what every message about one task starts with."""
    return _("Line %(line)s, task %(key)s “%(name)s”") % {
        "line": task.line,
        "key": task.key or "?",
        "name": task.name[:60] or _("unnamed"),
    }


def _link_label(task: PlanTask, link: PlanLink) -> str:
    """Like ``_label``, on the line of one of the task's links."""
    return _("Line %(line)s, task %(key)s “%(name)s”") % {"line": link.line, "key": task.key, "name": task.name[:60]}


def _day(day: dt.date) -> str:
    return dateformat.format(day, "d M Y")


def select_rows(tasks: list[PlanTask], *, source: str, scope: str = SCOPE_MILESTONES) -> PlanPreview:
    """Check the tasks and pick the milestones to import (``scope``: milestones only, or every task that is not a
    summary), with their finish-to-finish predecessors among the picked ones."""
    errors: list[str] = []
    warnings: list[str] = []
    tasks = [t for t in tasks if not t.skip]
    by_key: dict[str, PlanTask] = {}
    bad_dates: set[str] = set()
    for task in tasks:
        if not task.key:
            errors.append(_("%(task)s: the task has no UID.") % {"task": _label(task)})
            continue
        if task.key in by_key:
            errors.append(
                _("%(task)s: the UID %(key)s is used twice (first on line %(first)s).")
                % {"task": _label(task), "key": task.key, "first": by_key[task.key].line}
            )
            continue
        by_key[task.key] = task
        for attribute in ("start", "finish"):
            raw = getattr(task, f"raw_{attribute}")
            try:
                day = _parse_day(raw)
            except ValueError:
                message = (
                    _("%(task)s: start “%(value)s” is not a date (YYYY-MM-DD).")
                    if attribute == "start"
                    else _("%(task)s: finish “%(value)s” is not a date (YYYY-MM-DD).")
                )
                errors.append(message % {"task": _label(task), "value": raw[:40]})
                bad_dates.add(task.key)
                day = None
            setattr(task, attribute, day)

    def picked(task: PlanTask) -> bool:
        if task.summary:
            return False
        return scope == SCOPE_TASKS or task.milestone

    # Which links count: FS and FF; a sub-task's finish also bounds its summary's (implicit FF link).
    finish_links: dict[str, list[str]] = {key: [] for key in by_key}
    by_outline = {t.outline: t for t in by_key.values() if t.outline}
    for task in by_key.values():
        if "." in task.outline:
            parent = by_outline.get(task.outline.rsplit(".", 1)[0])
            if parent is not None and parent.summary:
                finish_links[parent.key].append(task.key)
        for link in task.links:
            if link.predecessor not in by_key:
                errors.append(
                    _("%(task)s: the predecessor %(predecessor)s is not a task of this file.")
                    % {"task": _link_label(task, link), "predecessor": link.predecessor or _("(empty)")}
                )
            elif link.kind in FINISH_LINKS:
                finish_links[task.key].append(link.predecessor)
            else:
                warnings.append(
                    _(
                        "%(task)s: the %(kind)s link from task %(predecessor)s is not imported "
                        "(the portal's dependencies are finish-to-finish)."
                    )
                    % {"task": _link_label(task, link), "kind": link.kind, "predecessor": link.predecessor}
                )

    rows: list[PlanRow] = []
    for task in by_key.values():
        if not picked(task):
            continue
        if not task.name.strip():
            errors.append(_("%(task)s: the task has no name.") % {"task": _label(task)})
        elif len(task.name) > MAX_NAME_LENGTH:
            errors.append(
                _("%(task)s: the name is longer than %(limit)s characters.")
                % {"task": _label(task), "limit": MAX_NAME_LENGTH}
            )
        if task.finish is None:
            if task.key not in bad_dates:
                errors.append(_("%(task)s: the task has no finish date.") % {"task": _label(task)})
            continue
        for attribute in ("start", "finish"):
            day = getattr(task, attribute)
            if not date_in_range(day):
                message = (
                    _("%(task)s: start %(day)s is outside %(earliest)s – %(latest)s.")
                    if attribute == "start"
                    else _("%(task)s: finish %(day)s is outside %(earliest)s – %(latest)s.")
                )
                errors.append(
                    message
                    % {
                        "task": _label(task),
                        "day": f"{day:%Y-%m-%d}",
                        "earliest": _day(EARLIEST_DATE),
                        "latest": _day(LATEST_DATE),
                    }
                )
        if task.start is not None and task.start > task.finish:
            errors.append(
                _("%(task)s: the start %(start)s is after the finish %(finish)s.")
                % {"task": _label(task), "start": task.start, "finish": task.finish}
            )
        predecessors = _picked_predecessors(task.key, finish_links, by_key, picked)
        rows.append(
            PlanRow(
                line=task.line,
                key=task.key,
                name=task.name.strip(),
                start=task.start,
                finish=task.finish,
                predecessors=tuple(sorted(predecessors, key=lambda k: by_key[k].line)),
            )
        )
    cycle = find_cycle(rows)
    if cycle:
        lines = {r.key: r for r in rows}
        first = lines[cycle[0]]
        path = " → ".join(
            _("%(name)s (line %(line)s)") % {"name": lines[k].name[:40], "line": lines[k].line} for k in cycle
        )
        errors.append(
            _("%(task)s: the dependencies form a cycle: %(path)s.")
            % {
                "task": _("Line %(line)s, task %(key)s “%(name)s”")
                % {"line": first.line, "key": first.key, "name": first.name[:60]},
                "path": path,
            }
        )
    if not rows and not errors:
        errors.append(
            _("The file has no milestones to import.")
            if scope == SCOPE_MILESTONES and tasks
            else _("The file has no tasks to import.")
        )
    if len(errors) > MAX_MESSAGES:
        more = len(errors) - MAX_MESSAGES
        errors = errors[:MAX_MESSAGES] + [
            ngettext("… and %(count)s more error.", "… and %(count)s more errors.", more) % {"count": more}
        ]
    days = [d for t in by_key.values() for d in (t.start, t.finish) if d is not None and date_in_range(d)]
    return PlanPreview(
        source=source,
        rows=tuple(rows),
        errors=tuple(errors),
        warnings=tuple(warnings),
        tasks_read=len(tasks),
        first_day=min(days, default=None),
        last_day=max(days, default=None),
    )


def _picked_predecessors(
    key: str, finish_links: dict[str, list[str]], by_key: dict[str, PlanTask], picked: Callable[[PlanTask], bool]
) -> set[str]:
    """The picked tasks that must finish before ``key``: its links, walked through the tasks not picked.

    A path back to ``key`` itself is kept (as a self-link) so that ``find_cycle`` reports it."""
    found: set[str] = set()
    seen: set[str] = set()
    stack = list(finish_links.get(key, ()))
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        if picked(by_key[current]) or current == key:
            found.add(current)
        else:
            stack.extend(finish_links.get(current, ()))
    return found


def find_cycle(rows: list[PlanRow] | tuple[PlanRow, ...]) -> list[str] | None:
    """A dependency cycle among the rows as a list of keys (first repeated at the end), or None."""
    edges = {r.key: [p for p in r.predecessors] for r in rows}
    state: dict[str, int] = {}  # 1 on the path, 2 done
    for root in edges:
        if state.get(root):
            continue
        path: list[str] = []
        iterators = [iter(edges[root])]
        path.append(root)
        state[root] = 1
        while iterators:
            nxt = next(iterators[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iterators.pop()
                continue
            if nxt not in edges:
                continue
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                iterators.append(iter(edges[nxt]))
    return None
