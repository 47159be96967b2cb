"""The pure modules stay pure and typed: `mypy --strict` on them is part of the suite."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PURE_MODULES = (
    "metrics/scoring",
    "metrics/lean/counters.py",
    "metrics/lean/measures.py",
    "projects/schedule_change.py",
)


def test_pure_modules_pass_mypy_strict():
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", *PURE_MODULES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_pure_modules_import_no_django():
    for module in PURE_MODULES:
        path = ROOT / module
        for source in (f.read_text() for f in (sorted(path.rglob("*.py")) if path.is_dir() else [path])):
            assert "import django" not in source
            assert "from django" not in source, module


def test_imports_flow_one_way_and_pure_modules_import_no_framework():
    """import-linter contracts (pyproject.toml): core <- clients <- projects <- metrics <- cmo_portal, no cycles."""
    out = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


def test_role_rules_live_in_access_not_in_views_services_or_templates():
    """Who may do what is a named function in clients/access.py; no role literal decides it elsewhere."""
    import re

    decision = re.compile(r"(\.role\s*(==|!=)|role\s*==\s*[\"']|user\.role\s*==)")
    allowed = {
        "clients/access.py",  # the rules
        "clients/roles.py",
        "clients/services.py",  # an admin account gets Django's is_staff
        "metrics/portfolio/digest.py",  # what the digest says, by audience
        "metrics/portfolio/pm_excellence.py",  # certificates are recorded for PMs only (data, not access)
        "cmo_portal/demo.py",
    }
    offenders = []
    for path in [*ROOT.glob("*/**/*.py"), *ROOT.glob("templates/**/*.html")]:
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith((".venv", "tests/", "bench/")) or "/migrations/" in relative or relative in allowed:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if decision.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert not offenders, "use a named rule from clients/access.py:\n" + "\n".join(offenders)
