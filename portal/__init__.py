"""Partner Portal: the application factory. Nothing here does I/O at import time."""

from __future__ import annotations

import os

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("INSTANCE_PATH") or None)
    os.makedirs(app.instance_path, exist_ok=True)

    from portal import config as settings

    app.config.update(settings.load(app.instance_path))
    if config:
        app.config.update(config)
    if proxies := app.config.get("TRUSTED_PROXIES"):
        # Behind that many proxies the client's address (the rate limits' key) and scheme are the ones the
        # proxies saw; without, those headers are ignored (anyone can send them).
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    # A test config may set the database after load(): keep the engine options in one place.
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})

    from portal import models  # noqa: F401  (the whole schema, for Alembic)

    _init_extensions(app)
    _register_blueprints(app)

    from portal import cli, pages
    from portal.core import headers, i18n, inputs, templating
    from portal.core.permissions import deny_unmarked_endpoints

    app.before_request(deny_unmarked_endpoints)
    headers.install(app)
    i18n.install(app)
    templating.install(app)
    pages.install(app)
    inputs.install(app)  # the input rule for the query string (forms and API bodies check their own)
    cli.install(app)
    return app


def _init_extensions(app: Flask) -> None:
    from htmx_flask import Htmx

    from portal.core import queue, sqlite, versions
    from portal.core.i18n import select_locale, select_timezone
    from portal.extensions import babel, csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    sqlite.install(app)
    versions.install()
    migrate.init_app(app, db, render_as_batch=True, directory=os.path.join(app.root_path, "..", "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    Htmx(app)
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        # Same Redis as the queue; the URL is resolved lazily so no server starts at import.
        app.config["RATELIMIT_STORAGE_URI"] = _limiter_storage(app)
    limiter.init_app(app)
    if not app.config["REDIS_URL"]:
        # the rate limiter talks to the embedded Redis directly: make sure it runs (once per process)
        app.before_request(lambda: queue.ensure_embedded(app) and None)
    login_manager.init_app(app)
    queue.install(app)


def _limiter_storage(app: Flask) -> str:
    from portal.core import queue

    url = queue.redis_url(app)
    if url.startswith("unix://"):
        return "redis+unix://" + url[len("unix://"):]
    return url


def _register_blueprints(app: Flask) -> None:
    from portal.core.urls import IdConverter

    app.url_map.converters["id"] = IdConverter  # every row id in a route: <id:order_id>
    from portal.blueprints import (
        account,
        announcements,
        api,
        applications,
        audit,
        auth,
        cart,
        catalogue,
        catalogue_admin,
        courses,
        deal_review,
        deals,
        errors,
        evaluations,
        main,
        mdf,
        notifications,
        order_queue,
        orders,
        partners,
        rebates,
        rebates_admin,
        resources,
        stock_alerts,
        tiers,
        training_admin,
        users,
    )

    for module in (auth, main, account, applications, catalogue, catalogue_admin, cart, orders, order_queue, partners,
                   evaluations, tiers, users, notifications, audit, stock_alerts,
                   courses, training_admin, resources, announcements, deals, deal_review, rebates_admin, rebates,
                   mdf,
                   errors):
        app.register_blueprint(module.bp)
    app.register_blueprint(api.bp, url_prefix="/api/v1")
