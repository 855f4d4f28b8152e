"""What gunicorn and `flask --app wsgi` load."""

from portal import create_app
from portal.deals.matching import load_tables

app = create_app()
load_tables()  # the deal conflict check's tables, before the first request rather than in it
