from pathlib import Path

import pytest

from portal.config import database_url, load


@pytest.mark.parametrize(("raw", "url"), [
    (None, "sqlite:////srv/instance/portal.db"),
    ("postgres://u:p@db/portal", "postgresql+psycopg://u:p@db/portal"),
    ("postgresql://u:p@db/portal", "postgresql+psycopg://u:p@db/portal"),
    ("postgresql+psycopg://u:p@db/portal", "postgresql+psycopg://u:p@db/portal"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_database_url_defaults_to_sqlite_and_uses_psycopg_for_postgresql(raw, url):
    assert database_url(raw, Path("/srv/instance")) == url


def test_every_setting_has_an_embedded_default(tmp_path, monkeypatch):
    for name in ("DATABASE_URL", "REDIS_URL", "MAIL_URL", "SECRET_KEY", "OUTBOX_DIR", "PORTAL_DEBUG",
                 "SECURE_COOKIES"):
        monkeypatch.delenv(name, raising=False)
    config = load(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'portal.db'}"
    assert config["REDIS_URL"] is None and config["MAIL_URL"] is None  # embedded Redis, .eml outbox
    assert config["OUTBOX_DIR"] == str(tmp_path / "outbox")
    assert config["SESSION_COOKIE_SECURE"] is True
    # the secret key is generated once and kept, so every process of the instance shares it
    assert load(str(tmp_path))["SECRET_KEY"] == config["SECRET_KEY"] and len(config["SECRET_KEY"]) > 40


def test_a_new_process_has_its_mappers_configured_by_create_app(tmp_path):
    """A worker's first request may be a page that loads no ORM object through a query: the signed-in
    user is built from a Core row (accounts.service._loaded), which needs configured mappers."""
    import subprocess
    import sys

    script = ("from portal import create_app; create_app(); from portal.accounts.models import User; "
              "from portal.partners.models import Partner; "
              "assert User.__mapper__.configured and Partner.__mapper__.configured; print('configured')")
    env = {"PATH": "/usr/bin:/bin", "INSTANCE_PATH": str(tmp_path), "REDIS_URL": "redis://127.0.0.1:1/0"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0 and out.stdout.strip() == "configured", out.stderr[-2000:]
