"""Admin pages for export profiles and the institutional band (pleca)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("profiles", __name__)
