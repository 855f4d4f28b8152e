"""/api/v1: JSON over the same services, bearer-token auth, an OpenAPI document built from code."""

from portal.blueprints.api import mdf, me, orders, partners, products  # noqa: F401  (registers routes)
from portal.blueprints.api.base import bp

__all__ = ["bp"]
