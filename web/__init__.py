"""The Flask web application and JSON API (the web issue builds it out)."""

from __future__ import annotations

from flask import Flask

from dam.config import Settings, load_settings


def create_app(settings: Settings | None = None) -> Flask:
    """Application factory: one app per settings object."""
    app = Flask(__name__)
    app.config["DAM_SETTINGS"] = settings or load_settings()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
