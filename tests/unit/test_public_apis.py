"""The portal uses only the public, documented APIs of Flask, Werkzeug, SQLAlchemy, Flask-Login, Flask-Babel,
Flask-WTF, Jinja and RQ: no private names of theirs, no patched internals, no hand-built ORM state."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN = (
    "from flask.globals import _",  # Flask's context variables (_cv_app, _cv_request)
    "_cv_app",
    "_cv_request",
    "vars(g)",  # g's own keys are Flask's and its extensions'
    "__dict__[",
    "__dict__.update",
    "._bind_",  # SQLAlchemy's compiled statement internals
    "._result_columns",
    "_cached_result_processor",
    "make_transient_to_detached",
    "_check_request_limit",  # Flask-Limiter's own hook
    "def ensure_sync",  # Flask's
)


def hits(root: Path = ROOT) -> list[str]:
    """``file:line: what`` for every forbidden text in the Python files of portal/ and jobs/."""
    found = []
    for path in sorted(path for folder in ("portal", "jobs") for path in (root / folder).rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found += [f"{path.relative_to(root)}:{number}: {text}" for text in FORBIDDEN if text in line]
    return found


def test_portal_and_jobs_reach_into_no_library_s_private_internals():
    assert hits() == []


def test_the_check_finds_what_it_looks_for(tmp_path):
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "hot.py").write_text("from flask.globals import _cv_app\nstate = vars(g)\n")
    assert hits(tmp_path) == ["jobs/hot.py:1: from flask.globals import _", "jobs/hot.py:1: _cv_app",
                              "jobs/hot.py:2: vars(g)"]
