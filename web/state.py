"""What the web app holds for its lifetime: the catalog context, the search service, limits."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from dam.context import Context
from dam.search.service import SearchService
from web.security import AttemptLimiter


@dataclass
class WebState:
    ctx: Context
    search: SearchService
    login_limiter: AttemptLimiter

    def close(self) -> None:
        self.search.close()
        self.ctx.close()


def state() -> WebState:
    return current_app.extensions["acervo"]


def get_ctx() -> Context:
    return state().ctx


def get_search() -> SearchService:
    return state().search
