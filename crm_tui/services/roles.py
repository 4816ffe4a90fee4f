"""Who may do what. Roles guard against mistakes on a shared file, not
against someone who opens it with another program (see the README)."""

from __future__ import annotations

from sqlmodel import Session

from crm_tui.errors import NotAllowed, NotFound
from crm_tui.models import User

# Each role can do everything the roles before it can.
RANKS = {"rep": 0, "manager": 1, "admin": 2}


def require_role(session: Session, user_id: int, role: str, action: str) -> User:
    """The user, if their role is ``role`` or higher; else a refusal that
    says which role the action needs."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user #{user_id}.")
    if RANKS.get(user.role, -1) < RANKS[role]:
        raise NotAllowed(
            f"Only {_a(role)} or above can {action}; {user.name} is {_a(user.role)}."
        )
    return user


def _a(role: str) -> str:
    return f"an {role}" if role[:1] in "aeiou" else f"a {role}"
