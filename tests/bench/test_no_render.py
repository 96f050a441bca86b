"""bench/load/no_render: the ceiling experiment's templates render (almost) nothing in gunicorn
when asked to, keep what the simulated people read, and stay out of every other process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOOK = ROOT / "bench" / "load" / "no_render" / "sitecustomize.py"

CHILD = f"""
import sys
from types import SimpleNamespace
sys.argv[0] = sys.argv[1]
import django
django.setup()
# As Python's site module would import it (runpy would change sys.argv[0] meanwhile).
exec(compile(open({str(HOOK)!r}, encoding="utf-8").read(), "sitecustomize", "exec"), {{}})
from django.template import engines
page = engines["django"].from_string("<h1>{{{{ app.version }}}} 申报</h1>")
print(page.render({{"app": SimpleNamespace(version=7)}}))
"""


def _render(program: str, *, asked: bool) -> str:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jifen.settings.test",
           "PYTHONPATH": str(ROOT / "src")}
    env.pop("JIFEN_BENCH_NO_RENDER", None)
    if asked:
        env["JIFEN_BENCH_NO_RENDER"] = "1"
    done = subprocess.run([sys.executable, "-c", CHILD, program], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.strip()


def test_in_gunicorn_when_asked_the_template_is_skipped_but_the_version_kept() -> None:
    page = _render("/srv/.venv/bin/gunicorn", asked=True)
    assert "申报" not in page
    assert '<input type="hidden" name="version" value="7">' in page


def test_not_asked_or_not_gunicorn_renders_as_ever() -> None:
    assert _render("/srv/.venv/bin/gunicorn", asked=False) == "<h1>7 申报</h1>"
    assert _render("/srv/.venv/bin/locust", asked=True) == "<h1>7 申报</h1>"
