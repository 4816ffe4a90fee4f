"""What the app checks about the database before anyone works on it: is it
whole, may we write to it, and is it on a network share where SQLite's
locking cannot be trusted."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from crm_tui.errors import DatabaseProblem

log = logging.getLogger(__name__)

# Filesystems whose byte-range locks SQLite cannot rely on: two reps could
# both believe they hold the write lock and damage the file.
NETWORK_FILESYSTEMS = {
    "nfs",
    "nfs4",
    "cifs",
    "smb",
    "smb3",
    "smbfs",
    "ncpfs",
    "afs",
    "9p",
    "ceph",
    "glusterfs",
    "lustre",
    "davfs",
    "fuse.sshfs",
    "sshfs",
    "fuse.rclone",
    "fuse.glusterfs",
    "fuse.s3fs",
    "fuse.gcsfuse",
}


def network_filesystem(path: Path, mounts: str | None = None) -> str | None:
    """The network filesystem ``path`` lives on (``nfs4``, ``cifs`` ...), or
    ``None`` for a local disk. ``mounts`` is /proc/mounts' text (read when
    not given; ``None`` on systems without it)."""
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text()
        except OSError:
            return None
    target = str(path.resolve())
    best, kind = "", ""
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        # /proc/mounts escapes spaces in mount points as \040.
        point = parts[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, kind = point, parts[2]
    return kind if kind in NETWORK_FILESYSTEMS else None


def sqlite_path(engine: Engine) -> Path | None:
    """The file of a SQLite engine, or ``None`` (a server, or in memory)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
    return Path(database)


def check_whole(engine: Engine) -> None:
    """Refuse a damaged SQLite file with one line, before anything reads it.

    ``quick_check`` reads every page once (without the slower index
    cross-checks of ``integrity_check``), so a torn page is found here and
    not halfway through drawing the inbox.
    """
    if sqlite_path(engine) is None:
        return
    try:
        with engine.connect() as conn:
            found = [row[0] for row in conn.exec_driver_sql("PRAGMA quick_check")]
    except DBAPIError as exc:
        text_ = str(exc.orig).lower()
        if "malformed" in text_ or "not a database" in text_ or "corrupt" in text_:
            raise _damaged(str(exc.orig)) from exc
        raise
    if found != ["ok"]:
        raise _damaged(found[0])


def _damaged(detail: str) -> DatabaseProblem:
    detail = " ".join(detail.replace("*** in database main ***", "").split())
    return DatabaseProblem(
        f"The database file is damaged ({detail}); nothing was read. "
        "Put a backup back with: crm restore BACKUP"
    )


def is_read_only(engine: Engine) -> bool:
    """Whether this database takes no changes from us: a file we may not
    write (or opened with ``mode=ro``), or a server login without the right
    to change leads."""
    path = sqlite_path(engine)
    if path is not None:
        if engine.url.query.get("mode") == "ro":
            return True
        folder_ok = os.access(path.parent, os.W_OK)
        return not os.access(path, os.W_OK) or not folder_ok
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            return not conn.execute(
                text("SELECT has_table_privilege('lead', 'UPDATE')")
            ).scalar_one()
    return False


def start_warnings(engine: Engine) -> list[str]:
    """What a rep must hear as the app starts, one line each."""
    path = sqlite_path(engine)
    if path is None:
        return []
    kind = network_filesystem(path)
    if kind is None:
        return []
    log.warning("database %s is on a %s network share", path, kind)
    return [
        f"{path.name} is on a network share ({kind}), where SQLite's locking is "
        "unreliable: two reps saving at once can damage it. Keep the file on "
        "a local disk, or move the team to PostgreSQL."
    ]
