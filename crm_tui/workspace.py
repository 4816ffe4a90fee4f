"""A workspace: one database, the person at the keyboard, and a clock.

Every service takes one. The CLI, the TUI and the tests each build it once;
the tests hand it a clock they control.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from crm_tui import storage
from crm_tui.clock import Clock, SystemClock
from crm_tui.errors import UnknownUser
from crm_tui.models import Setting, User
from crm_tui.process import Process, load_process

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class Workspace:
    engine: Engine
    user_name: str
    clock: Clock = field(default_factory=SystemClock)
    _user_id: int | None = None
    became_admin: bool = False
    _process: Process | None = None
    # Set when the database takes no changes from us (the app shows a banner).
    read_only: bool = False
    # Lines to tell the person as they start (e.g. a file on a network share).
    warnings: list[str] = field(default_factory=list)
    # Opened without reading every page for damage: whoever opened it so
    # checks later (see ``open_workspace``).
    unchecked: bool = False

    def write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one write transaction (see ``storage.write``)."""
        return storage.write(self.engine, work)

    def read(self) -> AbstractContextManager[Session]:
        return storage.reading(self.engine)

    @property
    def process(self) -> Process:
        """The sales process this database runs: the file its ``process_file``
        setting names, else the default ``data/process.toml``."""
        if self._process is None:
            with storage.reading(self.engine) as session:
                setting = session.get(Setting, "process_file")
            self._process = load_process(Path(setting.value) if setting else None)
        return self._process

    @property
    def user_id(self) -> int:
        """The id of the user at the keyboard, looked up once."""
        if self._user_id is None:
            self._user_id = self.identify().id
        assert self._user_id is not None
        return self._user_id

    def identify(self) -> User:
        """The user at the keyboard. On a database with no users yet, the
        first person to use it becomes its admin."""
        with storage.reading(self.engine) as session:
            user = session.exec(select(User).where(User.name == self.user_name)).first()
            if user is not None:
                return user
            anyone = session.exec(select(func.count()).select_from(User)).one()
        if anyone:
            raise UnknownUser(
                f"{self.user_name!r} is not a user of this database; "
                f"ask an admin to run: crm users add {self.user_name} --role rep"
            )
        return self.write(self._make_first_admin)

    def _make_first_admin(self, session: Session) -> User:
        from crm_tui.services.users import create_user

        user = create_user(
            session, name=self.user_name, role="admin", at=self.clock.now(), by=None
        )
        log.info("%s is the first user of this database and so its admin", user.name)
        self.became_admin = True
        return user
