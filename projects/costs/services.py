"""Writes for internal cost entries (one by one or a CSV import) and invoices."""

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_context
from core.input_ranges import MAX_MONEY
from projects.costs.models import CostCategory, CostEntry, Invoice
from projects.records import Project, project_inputs_changed, require_editor


@transaction.atomic
def cost_entry_create(*, actor, project: Project, **fields) -> CostEntry:
    require_editor(actor, project, "records costs")
    with audit_context(actor=actor, reason=fields.pop("reason", "") or "Cost recorded"):
        entry = CostEntry(project=project, created_by=actor, **fields)
        entry.full_clean()
        entry.save()
        project_inputs_changed(project.pk)
    return entry


@transaction.atomic
def cost_entries_import_csv(*, actor, project: Project, text: str) -> list[CostEntry]:
    """Import cost entries from CSV (header: date,amount,category[,description]); all or nothing.

    A bad row raises ``ValidationError`` naming the line and the column; nothing is imported.
    """
    import csv
    import io

    require_editor(actor, project, "imports costs")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("date", "amount", "category") if c not in header]
    if missing:
        raise ValidationError(
            {"file": [_("Line 1: the header lacks the column(s) %(columns)s.") % {"columns": ", ".join(missing)}]}
        )
    reader.fieldnames = header
    entries, errors = [], []
    categories = {c.value: c.value for c in CostCategory} | {c.label.lower(): c.value for c in CostCategory}
    for row in reader:
        line = reader.line_num  # physical line (a quoted field may span several)
        row = {k: (v or "").strip() for k, v in row.items() if k}
        try:
            date = dt.date.fromisoformat(row["date"])
        except ValueError:
            errors.append(
                _("Line %(line)s, column date: '%(value)s' is not a date (YYYY-MM-DD).")
                % {"line": line, "value": row["date"]}
            )
            continue
        try:
            amount = Decimal(row["amount"].replace(",", "")).quantize(Decimal("0.01"))
            if not amount.is_finite():
                raise ValueError
        except (ArithmeticError, ValueError):
            errors.append(
                _("Line %(line)s, column amount: '%(value)s' is not an amount.")
                % {"line": line, "value": row["amount"]}
            )
            continue
        if abs(amount) > MAX_MONEY:
            errors.append(
                _("Line %(line)s, column amount: '%(value)s' is larger than the portal records.")
                % {"line": line, "value": row["amount"]}
            )
            continue
        category = categories.get(row["category"].lower())
        if category is None:
            errors.append(
                _("Line %(line)s, column category: '%(value)s' is not one of %(categories)s.")
                % {"line": line, "value": row["category"], "categories": ", ".join(CostCategory.values)}
            )
            continue
        entry = CostEntry(
            project=project,
            date=date,
            amount=amount,
            category=category,
            description=row.get("description", "")[:300],
            created_by=actor,
        )
        try:
            entry.clean_fields(exclude=["project", "created_by"])  # the model's ranges, as for one entry
        except ValidationError as invalid:
            errors += [
                _("Line %(line)s, column %(column)s: %(error)s") % {"line": line, "column": f, "error": m}
                for f, texts in invalid.message_dict.items()
                for m in texts
            ]
            continue
        entries.append(entry)
    if errors:
        raise ValidationError({"file": errors})
    if not entries:
        raise ValidationError({"file": [_("The file has no rows to import.")]})
    with audit_context(actor=actor, reason=f"CSV import of {len(entries)} cost entries"):
        created = CostEntry.objects.bulk_create(entries)
        project_inputs_changed(project.pk)
    return created


@transaction.atomic
def invoice_create(*, actor, project: Project, **fields) -> Invoice:
    require_editor(actor, project, "records invoices")
    with audit_context(actor=actor, reason="Invoice recorded"):
        invoice = Invoice(project=project, **fields)
        invoice.full_clean()
        invoice.save()
    return invoice
