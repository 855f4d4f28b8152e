"""Roles, permissions and the two view markers: ``@require(...)`` and ``@public``.

Deny by default: create_app() installs a before_request check that refuses any endpoint
marked with neither, and tests/web/test_permissions.py walks ``app.url_map`` for the same.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.core.errors import Forbidden


class Role(enum.StrEnum):
    ADMIN = "admin"
    CHANNEL_MANAGER = "channel_manager"
    TRAINER = "trainer"
    PARTNER_ADMIN = "partner_admin"
    PARTNER_USER = "partner_user"

    @property
    def is_vendor(self) -> bool:
        return self in VENDOR_ROLES

    @property
    def is_partner(self) -> bool:
        return not self.is_vendor


VENDOR_ROLES = frozenset({Role.ADMIN, Role.CHANNEL_MANAGER, Role.TRAINER})
PARTNER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_USER})


class Permission(enum.StrEnum):
    MANAGE_PARTNERS = "manage_partners"      # create/edit partner records
    VIEW_PARTNERS = "view_partners"          # partner list (scoped: a manager sees assigned ones)
    MANAGE_USERS = "manage_users"            # invite/deactivate (scoped: a partner admin, own company)
    INVITE_VENDOR_STAFF = "invite_vendor_staff"
    VIEW_AUDIT = "view_audit"                # audit log (scoped like the rows it shows)
    USE_API = "use_api"
    PLACE_ORDERS = "place_orders"            # own server-side cart, checkout (partner users only)
    MANAGE_CATALOGUE = "manage_catalogue"    # products, categories, tier discounts and prices, CSV (admins)
    APPROVE_ORDERS = "approve_orders"        # vendor order queue: approve / reject (scoped: a manager, own partners)
    FOLLOW_COMPANY_ORDERS = "follow_company_orders"  # be told about every order of the own company (partner admins)
    REVIEW_APPLICATIONS = "review_applications"  # partner applications: list, read, score
    DECIDE_APPLICATIONS = "decide_applications"  # approve / reject applications, configure the scorecard
    MANAGE_TIERS = "manage_tiers"            # tier requirements, tier reviews and their confirmation
    WRITE_EVALUATIONS = "write_evaluations"  # quarterly evaluations (scoped: a manager, own partners)
    VIEW_PARTNERSHIP = "view_partnership"    # a partner's own tier, agreement and evaluations
    ACKNOWLEDGE_EVALUATIONS = "acknowledge_evaluations"  # a partner admin acknowledges a shared evaluation
    # — enablement
    MANAGE_COURSES = "manage_courses"        # courses, lessons, quizzes, certifications (trainers, admins)
    VIEW_TRAINING_REPORTS = "view_training_reports"  # trainer tracking: enrolments, pass rates, expiring, CSV
    POST_ANNOUNCEMENTS = "post_announcements"  # news to all partners or a segment
    MANAGE_RESOURCES = "manage_resources"    # the resource library: files, links, versions
    TAKE_COURSES = "take_courses"            # enrol, learn, take quizzes, hold certifications (partner people)
    VIEW_COMPANY_CERTIFICATIONS = "view_company_certifications"  # a partner admin: the company's people's certificates
    # — deals
    REGISTER_DEALS = "register_deals"        # register, extend, withdraw, close the own company's deals (partners)
    REVIEW_DEALS = "review_deals"            # deal review queue: approve / reject (scoped: a manager, own partners)
    MANAGE_DEAL_SETTINGS = "manage_deal_settings"  # protection and extension days, matching threshold (admins)
    # — rebates
    MANAGE_REBATES = "manage_rebates"        # rebate programs, ladders, calculation runs, statements (admins)
    VIEW_REBATES = "view_rebates"            # the own company's rebate accrual and statements (partner people)
    # — mdf
    VIEW_MDF = "view_mdf"                    # budgets, requests and claims (scoped: own company / own partners)
    REQUEST_MDF = "request_mdf"              # request funds and claim them (partner admins)
    DECIDE_MDF = "decide_mdf"                # approve / reject requests, approve and pay claims (scoped)
    MANAGE_MDF_BUDGETS = "manage_mdf_budgets"  # set budgets per partner and quarter, CSV import (admins)


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission) - {Permission.PLACE_ORDERS, Permission.FOLLOW_COMPANY_ORDERS,
                                         Permission.VIEW_PARTNERSHIP, Permission.ACKNOWLEDGE_EVALUATIONS,
                                         Permission.TAKE_COURSES, Permission.VIEW_COMPANY_CERTIFICATIONS,
                                         Permission.REGISTER_DEALS, Permission.REQUEST_MDF},
    Role.CHANNEL_MANAGER: frozenset({Permission.VIEW_PARTNERS, Permission.VIEW_AUDIT, Permission.USE_API,
                                    Permission.APPROVE_ORDERS, Permission.REVIEW_APPLICATIONS,
                                    Permission.WRITE_EVALUATIONS,
                                    Permission.REVIEW_DEALS, Permission.VIEW_MDF, Permission.DECIDE_MDF}),
    Role.TRAINER: frozenset({Permission.USE_API,
                             Permission.MANAGE_COURSES, Permission.VIEW_TRAINING_REPORTS,
                             Permission.POST_ANNOUNCEMENTS, Permission.MANAGE_RESOURCES}),
    Role.PARTNER_ADMIN: frozenset({Permission.MANAGE_USERS, Permission.VIEW_AUDIT, Permission.USE_API,
                                  Permission.PLACE_ORDERS, Permission.FOLLOW_COMPANY_ORDERS,
                                  Permission.VIEW_PARTNERSHIP, Permission.ACKNOWLEDGE_EVALUATIONS,
                                  Permission.TAKE_COURSES, Permission.VIEW_COMPANY_CERTIFICATIONS,
                                  Permission.REGISTER_DEALS, Permission.VIEW_REBATES,
                                  Permission.VIEW_MDF, Permission.REQUEST_MDF}),
    Role.PARTNER_USER: frozenset({Permission.USE_API, Permission.PLACE_ORDERS, Permission.VIEW_PARTNERSHIP,
                                 Permission.TAKE_COURSES, Permission.REGISTER_DEALS, Permission.VIEW_REBATES}),
}


def role_has(role: Role | str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(Role(role), frozenset())


def require(*permissions: Permission) -> Callable:
    """The view needs a signed-in, active user holding every listed permission.

    ``@require()`` with no permission means "any signed-in user".
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            user = current_user._get_current_object()  # one lookup, not one per permission
            if not user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if permissions and not all(user.can(p) for p in permissions):
                raise Forbidden(_("You do not have permission to do that."))
            return view(*args, **kwargs)

        guarded.required_permissions = frozenset(permissions)  # type: ignore[attr-defined]
        return guarded

    return decorate


def public(view: Callable) -> Callable:
    """The view needs no sign-in (login, password reset, public pages, static files)."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def is_guarded(view: Callable) -> bool:
    return hasattr(view, "required_permissions") or getattr(view, "is_public", False)


def deny_unmarked_endpoints() -> None:
    """before_request: an endpoint that declares neither ``@require`` nor ``@public`` is refused."""
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static":  # None: 404/405 — routing already failed
        return
    view = current_app.view_functions.get(endpoint)
    if view is not None and not is_guarded(view):
        raise Forbidden(_("This page is not available."))
