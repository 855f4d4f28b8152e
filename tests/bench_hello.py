"""The baselines `make bench` measures the portal against (served by gunicorn, like the portal).

- ``/``: bare Flask "hello".
- ``/rows``: the issue's yardstick, a minimal SQLAlchemy + Jinja page listing 50 rows (the newest
  orders of the bench's own database, read through ``INSTANCE_PATH``), with no sign-in, tenancy,
  layout, translation or formatting. It shows what one query and a 50-row template cost on this
  machine next to hello, in the same run.
"""

import os

from flask import Flask
from jinja2 import Environment
from sqlalchemy import create_engine, text

app = Flask(__name__)

ROWS_TEMPLATE = Environment(autoescape=True).from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Orders</title></head><body><main><h1>Orders</h1>
<table><thead><tr><th>Order</th><th>PO number</th><th>Placed</th><th>Status</th><th>Total</th></tr></thead><tbody>
{% for r in rows %}<tr><td><a href="/orders/{{ r.id }}">{{ r.number }}</a></td><td>{{ r.po_number }}</td>
<td>{{ r.created_at }}</td><td>{{ r.status }}</td><td>{{ r.total_cents }}</td></tr>
{% endfor %}</tbody></table></main></body></html>""")
ROWS_QUERY = text("SELECT id, number, po_number, created_at, status, total_cents FROM orders "
                  "ORDER BY created_at DESC LIMIT 50")
_engine = None


@app.get("/")
def hello() -> str:
    return "hello"


@app.get("/rows")
def rows() -> str:
    global _engine
    if _engine is None:
        _engine = create_engine(f"sqlite:///{os.environ['INSTANCE_PATH']}/portal.db")
    with _engine.connect() as conn:
        return ROWS_TEMPLATE.render(rows=conn.execute(ROWS_QUERY).all())
