"""Press kits: a streamed ZIP of press-size JPEGs, captions and the licence."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("presskit", __name__)
