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
