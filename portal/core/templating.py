"""What every template may use besides Flask's, Flask-Babel's, Flask-WTF's and Flask-Login's own globals
(``url_for``, ``_``/``ngettext``, ``csrf_token()``, ``current_user``): the permission vocabulary for menus
and buttons, and the form error filter. Formatting filters (``money``, ``when``, ``number``) are
``portal.core.i18n``'s; reusable markup is macros in ``templates/_macros.html``."""

from __future__ import annotations

from portal.core.permissions import Permission, Role, role_has


def field_errors(errors: dict | None, name: str) -> list[str]:
    """The messages for field ``name`` of a service's ``Invalid.field_errors`` (none: an empty list)."""
    return (errors or {}).get(name, [])


def install(app) -> None:
    app.jinja_env.globals.update(Permission=Permission, Role=Role, role_has=role_has)
    app.jinja_env.filters["field_errors"] = field_errors
