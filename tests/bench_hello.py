"""The bare-Flask baseline `make bench` measures the portal against (served by gunicorn)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
