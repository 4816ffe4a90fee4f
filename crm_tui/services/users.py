"""The team: adding people, listing them, and retiring them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from crm_tui.errors import CrmError, FieldNotValid, NotFound
from crm_tui.events import record
from crm_tui.models import User
from crm_tui.services.edits import apply_edit
from crm_tui.services.roles import require_role
from crm_tui.workspace import Workspace

ROLES = ("rep", "manager", "admin")


def check_user_fields(values: Mapping[str, Any]) -> None:
    """Raise ``FieldNotValid`` for the first of a user's typed fields that
    does not fit: a login name of one word, a known role and time zone."""
    if "name" in values:
        name = (values["name"] or "").strip()
        if not name or any(c.isspace() for c in name):
            raise FieldNotValid(
                "name",
                f"A user needs a login name of one word (like sam or ana.lima), "
                f"not {name!r}.",
            )
    role = values.get("role")
    if "role" in values and role not in ROLES:
        given = f"Unknown role {role!r}" if role else "A user needs a role"
        raise FieldNotValid("role", f"{given}: choose one of {', '.join(ROLES)}.")
    zone = values.get("time_zone")
    if "time_zone" in values:
        try:
            ZoneInfo(zone or "")
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise FieldNotValid(
                "time_zone",
                f"{zone!r} is not a time zone: use a name like Europe/Berlin.",
            ) from error


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
    check_user_fields({"name": name, "role": role, "time_zone": time_zone})
    name = name.strip()
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


# What an admin does, through the workspace: each checks the role first.


def add_user(ws: Workspace, name: str, role: str = "rep", **fields: Any) -> User:
    """An admin adds a colleague (see ``create_user`` for the fields)."""
    by = ws.user_id

    def add(session: Session) -> User:
        require_role(session, by, "admin", "add users")
        return create_user(
            session, name=name, role=role, at=ws.clock.now(), by=by, **fields
        )

    return ws.write(add)


def retire_user(ws: Workspace, name: str) -> User:
    """An admin deactivates a colleague, who keeps their history."""
    by = ws.user_id

    def retire(session: Session) -> User:
        require_role(session, by, "admin", "deactivate users")
        if find_user(session, name).id == by:
            raise CrmError("You cannot deactivate yourself; ask another admin.")
        return deactivate_user(session, name=name, at=ws.clock.now(), by=by)

    return ws.write(retire)


EDITABLE = ("display_name", "email", "role", "active", "time_zone")


def edit_user(
    ws: Workspace, user_id: int, *, version: int, changes: dict[str, Any]
) -> dict[str, list[Any]]:
    """An admin changes a colleague's details, from the version they saw."""
    by = ws.user_id
    unknown = set(changes) - set(EDITABLE) - {"territories", "languages"}
    if unknown:
        raise CrmError(f"These are not user fields one can edit: {sorted(unknown)}")
    check_user_fields(changes)

    def edit(session: Session) -> dict[str, list[Any]]:
        require_role(session, by, "admin", "change users")
        if user_id == by and (
            changes.get("role", "admin") != "admin" or changes.get("active") is False
        ):
            raise CrmError("You cannot demote or deactivate yourself.")
        return apply_edit(
            session,
            User,
            "user",
            user_id,
            expected_version=version,
            changes=changes,
            at=ws.clock.now(),
            user_id=by,
        )

    return ws.write(edit)
