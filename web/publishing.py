"""The gallery from the web: the publish button, its runs and holds, collections in it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("publishing", __name__)
