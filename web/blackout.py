"""Admin pages for electoral blackouts (veda electoral) and their audited exceptions."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("blackout", __name__)
