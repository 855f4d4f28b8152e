"""/api/v1: JSON over the same services, bearer-token auth, an OpenAPI document built from code."""

from portal.blueprints.api import deals, mdf, me, orders, partners, products, rebates, training  # noqa: F401
from portal.blueprints.api.base import bp

__all__ = ["bp"]
