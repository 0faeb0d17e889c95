"""Who is acting on the catalog, as curation services see it (no web types in dam/)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from dam.enums import Role

# Each role includes the ones below it.
ROLE_RANK = {Role.VIEWER: 1, Role.PHOTOGRAPHER: 2, Role.EDITOR: 3, Role.ADMIN: 4}


@dataclass(frozen=True)
class Actor:
    """The account making a change, or ``user_id=None`` for the system (CLI, worker)."""

    user_id: int | None
    username: str | None
    role: Role

    def at_least(self, role: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


SYSTEM = Actor(user_id=None, username="system", role=Role.ADMIN)


def shell_actor() -> Actor:
    """The bitácora's name for a change made at the shell: who ran `dam`, as the system."""
    login = os.environ.get("SUDO_USER") or os.environ.get("USER") or "?"
    return Actor(user_id=None, username=f"shell:{login}"[:64], role=Role.ADMIN)
