"""``crm rules check``: everything wrong with a process file, each problem
with the line a manager opens the file at.

The file is read from text so that problems can be located: an entry is
found by counting its ``[[table]]`` headers, a key by scanning that entry's
lines. Nothing here touches the disk or the database; the caller hands in
the text and the team.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from crm_tui.process import Process, RoutingRule
from crm_tui.rules.qualification import DISQUALIFIED, NURTURE, QUALIFIED
from crm_tui.rules.routing import CONDITIONS, Member
from crm_tui.rules.sla import source_key


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file; ``line`` is 1-based, None when the
    problem is the absence of something. A ``blocking`` problem keeps a
    database from running the file: it does not load, or it would strand
    records (deals in a stage it removes). A ``warning`` is about the team
    rather than the file: routing names someone who is not an active user
    (on a new database, nobody is yet). Routing passes over them, so the
    file works; the manager adds the people or edits the file."""

    line: int | None
    message: str
    blocking: bool = False
    warning: bool = False

    def render(self, file_name: str) -> str:
        where = f"{file_name}:{self.line}" if self.line else file_name
        return f"{where}: {self.message}"


class TomlLines:
    """Finds where an entry or a key of a TOML file is written."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def header(self, path: str, index: int | None = None) -> int | None:
        """The line of ``[path]``, or of the ``index``-th ``[[path]]``."""
        if index is None:
            pattern = re.compile(rf"^\s*\[\s*{re.escape(path)}\s*\]")
        else:
            pattern = re.compile(rf"^\s*\[\[\s*{re.escape(path)}\s*\]\]")
        seen = 0
        for number, line in enumerate(self.lines, start=1):
            if pattern.match(line):
                if index is None or seen == index:
                    return number
                seen += 1
        return None

    def key(self, path: str, index: int | None, key: str) -> int | None:
        """The line that sets ``key`` inside an entry (or its header line
        when the key is not written there)."""
        start = self.header(path, index) if path else 0
        if start is None:
            # ``[routing.pools]`` may be written as ``pools = {...}`` in
            # ``[routing]``; fall back to the parent table.
            parent, _, last = path.rpartition(".")
            return self.key(parent, None, last) if parent or last else None
        pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
        for number in range(start + 1, len(self.lines) + 1):
            line = self.lines[number - 1]
            if re.match(r"^\s*\[", line):
                break
            if pattern.match(line):
                return number
        return start or None

    def locate(self, loc: Sequence[int | str]) -> int | None:
        """The line of a pydantic error location (``routing.rules[2].pool``)."""
        names: list[str] = []
        for position, step in enumerate(loc):
            if isinstance(step, int):
                rest = loc[position + 1 :]
                key = rest[0] if rest and isinstance(rest[0], str) else None
                path = ".".join(names)
                if key is None:
                    return self.header(path, step)
                return self.key(path, step, key)
            names.append(step)
        if not names:
            return None
        *table, key = names
        return self.key(".".join(table), None, key)


@dataclass(frozen=True)
class DealsInStage:
    """How many deals a database has in one stage, open and closed."""

    open: int = 0
    closed: int = 0


def _locate(loc: tuple[int | str, ...], raw: object) -> str:
    """Where a validation error is, as a person reads the file:
    ``stages[3] (Proposal sent).requires``."""
    parts: list[str] = []
    node = raw
    for step in loc:
        if isinstance(step, int):
            label = f"[{step + 1}]"
            if isinstance(node, list) and step < len(node):
                node = node[step]
                name = (
                    node.get("name") or node.get("key")
                    if isinstance(node, dict)
                    else None
                )
                if name:
                    label += f" ({name})"
            parts.append(label)
        else:
            parts.append(f".{step}" if parts else step)
            node = node.get(step) if isinstance(node, dict) else None
    return "".join(parts)


def check_process(
    text: str,
    team: Mapping[str, Member] | None = None,
    deals: Mapping[str, DealsInStage] | None = None,
) -> list[Problem]:
    """Every problem of the process file ``text``, in file order. With the
    ``team``, users named by routing are checked too; with the ``deals``
    per stage key, stages the file removes while deals are in them."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        return [
            Problem(
                int(found.group(1)) if found else None,
                f"not valid TOML: {exc}",
                blocking=True,
            )
        ]
    lines = TomlLines(text)
    try:
        process = Process.model_validate(raw)
    except ValidationError as exc:
        return sorted(
            (
                *(
                    Problem(lines.locate(error["loc"]), _message(error, raw), True)
                    for error in exc.errors()
                ),
                *_check_stages_in_use(_stage_keys(raw), deals or {}),
            ),
            key=_order,
        )
    problems = [
        *_check_hours(process, lines),
        *_check_qualification(process, lines),
        *_check_slas(process, lines),
        *_check_stages(process, lines),
        *_check_routing(process, lines, team),
        *_check_stages_in_use({s.key for s in process.stages}, deals or {}),
    ]
    return sorted(problems, key=_order)


def _message(error: ErrorDetails, raw: object) -> str:
    """A validation error as a manager reads it: an unknown key says which
    keys its table takes."""
    where = _locate(error["loc"], raw)
    if error["type"] != "extra_forbidden":
        return f"{where}: {error['msg'].removeprefix('Value error, ')}"
    *table, key = error["loc"]
    known = _keys_of(table)
    if not known:
        return f"{where}: unknown key {key!r}"
    path = ".".join(step for step in table if isinstance(step, str))
    if not path:
        parent = "the file"
    elif isinstance(table[-1], int):
        parent = f"[[{path}]]"
    else:
        parent = f"[{path}]"
    return f"{where}: unknown key {key!r}; {parent} takes {', '.join(known)}"


def _keys_of(loc: Sequence[int | str]) -> list[str]:
    """The keys the table at ``loc`` (a pydantic location) takes."""
    model: object = Process
    for step in loc:
        if isinstance(step, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(step)
        if field is None:
            return []
        model = field.annotation
        # ``list[Stage]``: the entries' model.
        while get_origin(model) is list:
            model = get_args(model)[0]
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _stage_keys(raw: Mapping[str, object]) -> set[str]:
    """The stage keys of a file that does not load as a whole."""
    stages = raw.get("stages")
    if not isinstance(stages, list):
        return set()
    return {str(s["key"]) for s in stages if isinstance(s, dict) and "key" in s}


def _check_stages_in_use(
    kept: set[str], deals: Mapping[str, DealsInStage]
) -> list[Problem]:
    """A stage the file no longer has (``kept`` are the ones it has), while
    deals sit in it, would leave them on no column of the board and in no
    report."""
    problems = []
    for key, count in sorted(deals.items()):
        if key in kept or not (count.open or count.closed):
            continue
        held = [
            f"{n} {kind} deal{'' if n == 1 else 's'}"
            for n, kind in ((count.open, "open"), (count.closed, "closed"))
            if n
        ]
        verb = "is" if count.open + count.closed == 1 else "are"
        problems.append(
            Problem(
                None,
                f"stage {key!r} is removed but {' and '.join(held)} {verb} in it",
                blocking=True,
            )
        )
    return problems


def _order(problem: Problem) -> tuple[int, str]:
    return (problem.line or 0, problem.message)


def _check_hours(process: Process, lines: TomlLines) -> list[Problem]:
    hours = process.business_hours
    problems = []
    if hours.end <= hours.start:
        problems.append(
            Problem(
                lines.key("business_hours", None, "end"),
                f"business hours end ({hours.end:%H:%M}) before they start "
                f"({hours.start:%H:%M})",
            )
        )
    if not hours.days:
        problems.append(
            Problem(
                lines.key("business_hours", None, "days"),
                "there are no business days: business-hour SLAs can never run",
            )
        )
    return problems


def _duplicates(keys: Sequence[str]) -> list[tuple[int, str]]:
    seen: set[str] = set()
    repeated = []
    for index, key in enumerate(keys):
        if key in seen:
            repeated.append((index, key))
        seen.add(key)
    return repeated


def _check_qualification(process: Process, lines: TomlLines) -> list[Problem]:
    q = process.qualification
    problems = []
    buckets = {b.key for b in q.buckets}
    for needed in (QUALIFIED, NURTURE, DISQUALIFIED):
        if needed not in buckets:
            problems.append(
                Problem(
                    lines.header("qualification.buckets", 0),
                    f"qualification needs a bucket with key {needed!r}",
                )
            )
    if not q.disqualify_reasons:
        problems.append(
            Problem(None, "there are no disqualify reasons; a rep must give one")
        )
    for index, dimension in enumerate(q.dimensions):
        if len(dimension.choices) < 2:
            problems.append(
                Problem(
                    lines.key("qualification.dimensions", index, "choices"),
                    f"dimension {dimension.key!r} needs at least two choices",
                )
            )
    for table, keys in (
        ("qualification.dimensions", [d.key for d in q.dimensions]),
        ("qualification.buckets", [b.key for b in q.buckets]),
        ("qualification.disqualify_reasons", [r.key for r in q.disqualify_reasons]),
        ("touches", [t.key for t in process.touches]),
        ("lost_reasons", [r.key for r in process.lost_reasons]),
    ):
        for index, key in _duplicates(keys):
            problems.append(
                Problem(lines.key(table, index, "key"), f"{table}: {key!r} twice")
            )
    return problems


def _check_slas(process: Process, lines: TomlLines) -> list[Problem]:
    problems = []
    owner: dict[str, int] = {}
    defaults = []
    for index, sla in enumerate(process.sla):
        line = lines.header("sla", index)
        given = [
            v
            for v in (sla.minutes, sla.business_hours, sla.business_days)
            if v is not None
        ]
        if len(given) != 1:
            problems.append(
                Problem(
                    line,
                    "an SLA gives exactly one of minutes, business_hours, "
                    "business_days",
                )
            )
        elif given[0] <= 0:
            problems.append(Problem(line, "an SLA must allow some time"))
        if not sla.sources:
            defaults.append(index)
        for source in sla.sources:
            key = source_key(source)
            if key in owner:
                first = lines.header("sla", owner[key])
                problems.append(
                    Problem(
                        lines.key("sla", index, "sources") or line,
                        f"source {source!r} never uses this SLA: the one on "
                        f"line {first} lists it first",
                    )
                )
            owner.setdefault(key, index)
    for index in defaults[1:]:
        problems.append(
            Problem(
                lines.header("sla", index),
                "a second SLA without sources never applies: the first one is "
                "the default",
            )
        )
    if process.sla and not defaults:
        problems.append(
            Problem(
                None,
                "no SLA without sources: leads from other sources get no "
                "response clock",
            )
        )
    return problems


def _check_stages(process: Process, lines: TomlLines) -> list[Problem]:
    problems = []
    if not process.open_stages:
        problems.append(
            Problem(None, "there is no open stage for a qualified lead's deal")
        )
    elif process.stages[0].closed is not None:
        problems.append(
            Problem(
                lines.header("stages", 0),
                "the first stage is closed, but qualified leads become deals "
                "in the first stage",
            )
        )
    for index, key in _duplicates([s.key for s in process.stages]):
        problems.append(
            Problem(lines.key("stages", index, "key"), f"stage {key!r} twice")
        )
    return problems


def _check_routing(
    process: Process, lines: TomlLines, team: Mapping[str, Member] | None
) -> list[Problem]:
    routing = process.routing
    problems = []
    people = {name.casefold(): m for name, m in (team or {}).items()}

    def person(name: str) -> str | None:
        """What is wrong with naming ``name``, or None."""
        if team is None:
            return None
        member = people.get(name.casefold())
        if member is None:
            return f"{name!r} is not a user"
        if not member.active:
            return f"{member.name} is inactive"
        return None

    pools_alive: dict[str, bool] = {}
    for pool, members in routing.pools.items():
        line = lines.key("routing.pools", None, pool)
        for name in members:
            if (wrong := person(name)) is not None:
                problems.append(Problem(line, f"pool {pool}: {wrong}", warning=True))
        alive = bool(members) and (
            team is None or any(person(name) is None for name in members)
        )
        pools_alive[pool] = alive
        if not alive:
            problems.append(
                Problem(line, f"pool {pool} has nobody active", warning=bool(members))
            )
    for index, key in _duplicates([r.name for r in routing.rules]):
        problems.append(
            Problem(
                lines.key("routing.rules", index, "name"),
                f"two routing rules are named {key!r}: routed_by cannot say which",
            )
        )

    def can_always_assign(rule: RoutingRule) -> bool:
        if rule.named_account:
            return False
        if rule.assign is not None:
            return person(rule.assign) is None
        return rule.pool is not None and pools_alive.get(rule.pool, False)

    for index, rule in enumerate(routing.rules):
        line = lines.header("routing.rules", index)
        label = f"rule {rule.name!r}"
        if rule.assign is not None and rule.pool is not None:
            problems.append(Problem(line, f"{label} names both a user and a pool"))
        if rule.assign is None and rule.pool is None and not rule.named_account:
            problems.append(Problem(line, f"{label} assigns to nobody"))
        if rule.assign is not None and (wrong := person(rule.assign)) is not None:
            problems.append(
                Problem(
                    lines.key("routing.rules", index, "assign"),
                    f"{label}: {wrong}",
                    warning=True,
                )
            )
        if rule.pool is not None and rule.pool not in routing.pools:
            problems.append(
                Problem(
                    lines.key("routing.rules", index, "pool"),
                    f"{label} uses pool {rule.pool!r}, which is not in [routing.pools]",
                )
            )
        for earlier_index, earlier in enumerate(routing.rules[:index]):
            if can_always_assign(earlier) and _covers(earlier, rule):
                earlier_line = lines.header("routing.rules", earlier_index)
                problems.append(
                    Problem(
                        line,
                        f"{label} can never match: rule {earlier.name!r} "
                        f"(line {earlier_line}) takes every lead it would",
                    )
                )
                break
    return problems


def _covers(earlier: RoutingRule, later: RoutingRule) -> bool:
    """Whether every lead ``later`` matches is matched by ``earlier``."""
    for condition, (_attribute, fold, _label) in CONDITIONS.items():
        wide: list[str] = getattr(earlier, condition)
        narrow: list[str] = getattr(later, condition)
        if not wide:
            continue
        if not narrow or not {fold(v) for v in narrow} <= {fold(v) for v in wide}:
            return False
    return True
