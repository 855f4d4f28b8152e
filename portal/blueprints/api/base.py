"""The API's plumbing: bearer-token auth, JSON errors, pydantic bodies, the OpenAPI document.

An endpoint is declared once with ``@operation(...)``; the same declaration routes the request,
checks the token and permission, validates the body and describes the endpoint in
``/api/v1/openapi.json`` (assembled with apispec from the pydantic models).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import wraps
from typing import Annotated

from apispec import APISpec
from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from pydantic import AfterValidator, BaseModel, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from portal.core import inputs
from portal.core.errors import DomainError
from portal.core.permissions import Permission, public
from portal.core.time import check_day, utcnow
from portal.extensions import csrf, db

bp = Blueprint("api", __name__)
csrf.exempt(bp)  # the API authenticates with bearer tokens only, never the session cookie


@bp.after_app_request
def _not_stored(response):
    """No API answer is kept by a browser or a proxy (they carry a company's orders and prices); also the
    errors of addresses under /api/ that match no route."""
    if request.path.startswith("/api/"):
        response.headers["Cache-Control"] = "no-store"
    return response


# A day in a query or body: YYYY-MM-DD within the calendar the portal takes (core.time.check_day), else 422.
Day = Annotated[date, AfterValidator(check_day)]


class ErrorBody(BaseModel):
    status: int
    message: str
    fields: dict[str, list[str]] = {}


class ErrorOut(BaseModel):
    error: ErrorBody


def error_response(status: int, message: str, field_errors: dict | None = None):
    body = ErrorOut(error=ErrorBody(status=status, message=message, fields=field_errors or {}))
    response = jsonify(body.model_dump())
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@dataclass(frozen=True)
class Header:
    """A request header an operation reads, documented as an OpenAPI header parameter."""

    name: str
    description: str
    required: bool = True
    pattern: str | None = None


@dataclass
class Operation:
    rule: str
    method: str
    endpoint: str
    summary: str
    response: type[BaseModel] | None
    body: type[BaseModel] | None
    permission: Permission | None
    tags: list[str] = field(default_factory=list)
    status: int = 200
    query: type[BaseModel] | None = None
    headers: tuple[Header, ...] = ()
    also: dict[int, str] = field(default_factory=dict)
    public: bool = False


OPERATIONS: list[Operation] = []


def _bearer_token():
    """The request's valid bearer token; its use is noted for a worker to record (the request writes nothing)."""
    from portal.accounts.service import api_token, note_token_use

    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = api_token(secret.strip())
    if token is not None:
        note_token_use(token, utcnow())
    return token


def operation(rule: str, method: str = "GET", *, summary: str, response: type[BaseModel] | None = None,
              body: type[BaseModel] | None = None, permission: Permission | None = Permission.USE_API,
              tags: tuple[str, ...] = (), status: int = 200, query: type[BaseModel] | None = None,
              headers: tuple[Header, ...] = (), also: dict[int, str] | None = None, public: bool = False,
              limit: Callable[[], str] | str | None = None) -> Callable:
    """Declare an API endpoint. The view receives ``(user, body?, **url_args)`` and returns a model, or
    ``(model, status)`` for one of the other success statuses documented in ``also`` (e.g. a replay → 200).

    ``public``: no token needed (the view gets ``None`` as the user), like a public page's twin.
    ``limit``: a Flask-Limiter limit per client address (429 beyond it).

    With ``query=Model`` the query string is validated into that model (a value breaking it → 422 with
    field messages, like a body) and passed as ``query=``; its fields are documented as query parameters.
    """

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def endpoint(**kwargs):
            token = None if public else _bearer_token()
            if token is None and not public:
                return error_response(401, _("Send a valid API token as 'Authorization: Bearer …'."))
            user = token.user if token is not None else None
            if permission is not None and not user.can(permission):
                return error_response(403, _("You do not have permission to do that."))
            args = [user]
            if body is not None:
                payload, refused = _json_body()
                if refused is not None:
                    return refused
                if problems := inputs.json_problems(payload):
                    return error_response(422, _("Please correct the errors."), problems)
                try:
                    args.append(body.model_validate(payload))
                except ValidationError as exc:
                    return error_response(422, _("Please correct the errors."), _pydantic_errors(exc))
            if query is not None:
                try:
                    kwargs["query"] = query.model_validate(request.args.to_dict())
                except ValidationError as exc:
                    return error_response(422, _("Please correct the errors."), _pydantic_errors(exc))
            try:
                result = view(*args, **kwargs)
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                message = _("Please correct the errors.") if exc.field_errors else exc.message or _("Request failed.")
                return error_response(exc.status, message, exc.field_errors)
            code = status
            if isinstance(result, tuple):
                result, code = result
            out = jsonify(result.model_dump(mode="json")) if isinstance(result, BaseModel) else jsonify(result)
            out.status_code = code
            return out

        if public:
            endpoint.is_public = True
        else:
            endpoint.required_permissions = frozenset({permission} if permission else set())
        if limit is not None:
            from portal.extensions import limiter

            endpoint = limiter.limit(limit)(endpoint)
        bp.add_url_rule(rule, view.__name__, endpoint, methods=[method])
        OPERATIONS.append(Operation(rule, method, view.__name__, summary, response, body, permission,
                                    list(tags), status, query, tuple(headers), dict(also or {}), public))
        return endpoint

    return decorate


# A body the API takes: an order of 200 lines is ~25 KB, its nesting 3 deep. Both are checked on the raw bytes
# before the JSON parser runs: a huge or deeply nested document ("[" × 100,000) costs nothing but a 400.
MAX_JSON_BYTES = 256 * 1024
MAX_JSON_DEPTH = 20
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _json_body():
    """(the request's JSON document, None), or (None, an error response) when the body is too large, nested
    too deep or no JSON."""
    request.max_content_length = MAX_JSON_BYTES  # Flask refuses to read more (RequestEntityTooLarge)
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raw = None
    if raw is None or len(raw) > MAX_JSON_BYTES:
        return None, error_response(400, _("The JSON body is larger than %(n)s KB.", n=MAX_JSON_BYTES // 1024))
    if _depth(raw) > MAX_JSON_DEPTH:
        return None, error_response(400, _("The JSON body is nested more than %(n)s levels deep.",
                                           n=MAX_JSON_DEPTH))
    payload = request.get_json(silent=True)
    if payload is None:
        return None, error_response(400, _("Send a JSON body."))
    return payload, None


def _depth(raw: bytes) -> int:
    """How deep ``raw``'s arrays and objects nest (strings, which may hold brackets, left out), counted up to
    one past MAX_JSON_DEPTH."""
    depth = deepest = 0
    for bracket in _JSON_STRING.sub(b'""', raw).translate(None, _NOT_BRACKETS):
        depth += 1 if bracket in b"[{" else -1
        deepest = max(deepest, depth)
        if deepest > MAX_JSON_DEPTH:
            break
    return deepest


def _pydantic_errors(exc: ValidationError) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"]) or "body"
        fields.setdefault(name, []).append(err["msg"])
    return fields


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def build_spec() -> dict:
    """The OpenAPI 3 document, generated from the declared operations and their models."""
    # 3.1: its schemas are JSON Schema 2020-12, which is what pydantic emits (e.g. ``"type": "null"``).
    spec = APISpec(title="Partner Portal API", version="1.0.0", openapi_version="3.1.0",
                   info={"description": "JSON API for ERP/CRM integration. Authenticate with a personal "
                                        "API token from your profile page: `Authorization: Bearer <token>`."},
                   servers=[{"url": current_app.config["BASE_URL"] + "/api/v1"}])
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    seen: set[str] = set()

    def schema_of(model: type[BaseModel]) -> dict:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, sub in schema.pop("$defs", {}).items():
            if name not in seen:
                seen.add(name)
                spec.components.schema(name, sub)
        return schema

    def query_params(model: type[BaseModel]) -> list[dict]:
        schema = schema_of(model)
        required = set(schema.get("required", ()))
        params = []
        for name, prop in schema["properties"].items():
            param = {"name": name, "in": "query", "required": name in required,
                     "schema": {k: v for k, v in prop.items() if k not in ("title", "description")}}
            if prop.get("description"):
                param["description"] = prop["description"]
            params.append(param)
        return params

    def ref(model: type[BaseModel]) -> dict:
        schema = schema_of(model)
        if model.__name__ not in seen:
            seen.add(model.__name__)
            spec.components.schema(model.__name__, schema)
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    error = {"description": "Error", "content": {"application/json": {"schema": ref(ErrorOut)}}}
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        params = [{"name": n, "in": "path", "required": True, "schema": {"type": "integer" if t == "int" else "string"}}
                  for t, n in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", op.rule)]
        doc: dict = {"summary": op.summary, "operationId": op.endpoint, "tags": op.tags,
                     "responses": {str(op.status): {"description": "OK"}, "401": error, "403": error},
                     "security": [{"bearer": []}]}
        if op.public:  # no token: anyone may call it
            doc["security"] = []
            del doc["responses"]["401"], doc["responses"]["403"]
        if op.response is not None:
            doc["responses"][str(op.status)]["content"] = {"application/json": {"schema": ref(op.response)}}
        if op.body is not None:
            doc["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(op.body)}}}
            doc["responses"]["422"] = error
        if params:
            doc["responses"]["404"] = error
        if op.query is not None:
            params += query_params(op.query)
            doc["responses"]["422"] = error
        for header in op.headers:
            params.append({"name": header.name, "in": "header", "required": header.required,
                           "description": header.description,
                           "schema": {"type": "string", **({"pattern": header.pattern} if header.pattern else {})}})
        for code, description in op.also.items():
            if 200 <= code < 300:
                doc["responses"][str(code)] = {"description": description}
                if op.response is not None:
                    doc["responses"][str(code)]["content"] = {"application/json": {"schema": ref(op.response)}}
            else:
                doc["responses"][str(code)] = {**error, "description": description}
        if params:
            doc["parameters"] = params
        paths.setdefault(_openapi_path(op.rule), {})[op.method.lower()] = doc
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


@bp.get("/openapi.json")
@public
def openapi():
    return jsonify(build_spec())


@bp.get("/docs")
@public
def docs():
    from portal.core.htmx import render

    return render("api/docs.html", spec=build_spec())
