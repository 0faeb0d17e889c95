"""Social formats of a picture, and its point of interest for crops."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("social", __name__)
