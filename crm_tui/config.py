"""Where the database is and who is at the keyboard, decided at run time.

Nothing here touches the disk at import: paths come from the command line,
the environment, or platformdirs' user data folder when asked for.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

APP_NAME = "crm-tui"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
EXAMPLE_DB = PROJECT_ROOT / "crm.db.example"
DEMO_USER = "alex"


def default_db_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME) / "crm.db"


def demo_db_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME) / "demo.db"


def database_url(db: str | None) -> str:
    """The SQLAlchemy URL for ``--db``/``CRM_DB``, a path or a URL."""
    value = db or os.environ.get("CRM_DB") or str(default_db_path())
    if "://" in value:
        return value
    path = Path(value).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def current_user(user: str | None) -> str:
    """``--user``, else ``CRM_USER``, else the login name."""
    return user or os.environ.get("CRM_USER") or getpass.getuser()
