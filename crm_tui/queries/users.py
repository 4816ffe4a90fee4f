"""Read models for the team."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from crm_tui.models import User


def user_list(session: Session) -> list[dict[str, Any]]:
    users = session.exec(select(User).order_by(col(User.name))).all()
    return [
        {
            "id": u.id,
            "name": u.name,
            "display_name": u.display_name,
            "email": u.email,
            "role": u.role,
            "active": u.active,
            "time_zone": u.time_zone,
            "territories": u.territories,
            "languages": u.languages,
            "version": u.version,
        }
        for u in users
    ]
