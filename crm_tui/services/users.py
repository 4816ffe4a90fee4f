"""The team: adding people, listing them, and retiring them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from crm_tui.errors import CrmError, NotFound
from crm_tui.events import record
from crm_tui.models import User

ROLES = ("rep", "manager", "admin")


def create_user(
    session: Session,
    *,
    name: str,
    role: str,
    at: datetime,
    by: int | None,
    email: str | None = None,
    display_name: str | None = None,
    territories: list[str] | None = None,
    languages: list[str] | None = None,
    time_zone: str = "UTC",
    manager_id: int | None = None,
    region: str | None = None,
) -> User:
    """Add a user; the name is what they type as ``--user``."""
    if role not in ROLES:
        raise CrmError(f"Unknown role {role!r}: choose one of {', '.join(ROLES)}.")
    if session.exec(select(User).where(User.name == name)).first() is not None:
        raise CrmError(f"There is already a user named {name!r}.")
    user = User(
        name=name,
        display_name=display_name or name,
        email=email.lower() if email else None,
        role=role,
        territories=territories or [],
        languages=languages or [],
        time_zone=time_zone,
        manager_id=manager_id,
        region=region,
        created_at=at,
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    record(
        session,
        at=at,
        user_id=by if by is not None else user.id,
        entity="user",
        entity_id=user.id,
        action="created",
        changes={"name": [None, name], "role": [None, role]},
    )
    return user


def find_user(session: Session, name: str) -> User:
    user = session.exec(select(User).where(User.name == name)).first()
    if user is None:
        raise NotFound(f"No user named {name!r}.")
    return user


def deactivate_user(session: Session, *, name: str, at: datetime, by: int) -> User:
    user = find_user(session, name)
    if user.active:
        user.active = False
        user.version += 1
        assert user.id is not None
        record(
            session,
            at=at,
            user_id=by,
            entity="user",
            entity_id=user.id,
            action="deactivated",
            changes={"active": [True, False]},
        )
    return user
