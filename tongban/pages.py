"""The public landing page."""

from __future__ import annotations

from flask import Blueprint
from flask import render_template

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> str:
    return render_template("home.html")
