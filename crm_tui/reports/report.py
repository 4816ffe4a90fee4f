"""The report: every figure for a period, overall and per group.

``build_report`` is the one function the ``crm report`` command and the
reports screen both call, so what a manager reads on screen and what a
script reads from the JSON are the same numbers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session

from crm_tui.process import Process
from crm_tui.reports.facts import Split, deal_facts, lead_facts, task_facts
from crm_tui.reports.metrics import Figures, Period, Week, figures, group_names, weeks

# The keys of the JSON, in the order the issue promised them.
FIGURE_KEYS = (
    "response_time",
    "within_sla",
    "conversion_by_stage",
    "follow_up_completion",
    "avg_days_in_stage",
    "win_rate",
    "renewal_rate",
    "upsell_rate",
)


@dataclass(frozen=True)
class Dates:
    """A period as a person names it: whole days, both ends included, in the
    team's time zone."""

    first: date
    last: date

    def period(self, process: Process) -> Period:
        zone = process.team.zone
        return Period(
            datetime.combine(self.first, time(), tzinfo=zone),
            datetime.combine(self.last + timedelta(1), time(), tzinfo=zone),
        )

    @classmethod
    def last_days(cls, days: int, today: date) -> Dates:
        return cls(today - timedelta(days - 1), today)

    def shifted(self, steps: int) -> Dates:
        """The period of the same length ``steps`` lengths later (or earlier)."""
        length = (self.last - self.first).days + 1
        move = timedelta(length * steps)
        return Dates(self.first + move, self.last + move)


@dataclass(frozen=True)
class GroupFigures:
    group: str
    figures: Figures


@dataclass(frozen=True)
class Report:
    dates: Dates
    by: Split | None
    overall: Figures
    groups: list[GroupFigures]
    weekly: list[Week]
    funnel: list[str]

    def as_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "from": self.dates.first.isoformat(),
            "to": self.dates.last.isoformat(),
            "by": self.by,
        }
        result.update(figures_json(self.overall))
        result["weekly"] = [
            {**asdict(week), "start": week.start.date().isoformat()}
            for week in self.weekly
        ]
        if self.by:
            result["groups"] = [
                {"group": g.group, **figures_json(g.figures)} for g in self.groups
            ]
        return result


def figures_json(found: Figures) -> dict[str, Any]:
    plain = asdict(found)
    ordered = {key: plain.pop(key) for key in FIGURE_KEYS}
    ordered.update(plain)
    return ordered


def today_for(process: Process, now: datetime) -> date:
    """Today's date where the team works."""
    return now.astimezone(process.team.zone).date()


def build_report(
    session: Session,
    process: Process,
    dates: Dates,
    now: datetime,
    by: Split | None = None,
) -> Report:
    period = dates.period(process)
    leads = lead_facts(session, process, period, by)
    deals = deal_facts(session, process, period, by)
    tasks = task_facts(session, period, by)
    won = [s.key for s in process.stages if s.closed == "won"]
    open_keys = [s.key for s in process.open_stages]
    funnel = [s.key for s in process.selling_stages] + won

    def compute(leads_: list[Any], deals_: list[Any], tasks_: list[Any]) -> Figures:
        return figures(
            leads_,
            deals_,
            tasks_,
            period=period,
            now=now,
            funnel=funnel,
            stages=open_keys,
        )

    groups = []
    if by:
        for name in group_names([*leads, *deals, *tasks]):
            groups.append(
                GroupFigures(
                    name,
                    compute(
                        [f for f in leads if name in f.groups],
                        [f for f in deals if name in f.groups],
                        [f for f in tasks if name in f.groups],
                    ),
                )
            )
    local_start = period.start.astimezone(process.team.zone)
    first_monday = datetime.combine(
        local_start.date() - timedelta(local_start.weekday()),
        time(),
        tzinfo=process.team.zone,
    )
    return Report(
        dates=dates,
        by=by,
        overall=compute(leads, deals, tasks),
        groups=groups,
        weekly=weeks(leads, deals, period, first_monday),
        funnel=funnel,
    )


def csv_table(report: Report) -> tuple[list[str], list[list[object]]]:
    """The report as one wide table, a row per group (the total first), for
    a spreadsheet: rates as fractions, times in hours or days."""
    steps = [(s.stage, s.next_stage) for s in report.overall.conversion_by_stage]
    stages = list(report.overall.avg_days_in_stage)
    header = [
        "group",
        "from",
        "to",
        "response_median_hours",
        "response_p90_hours",
        "answered",
        "within_sla",
        "lead_to_deal",
        "leads",
        "follow_up_completion",
        "tasks_due",
        "win_rate",
        "won",
        "lost",
        "renewal_rate",
        "upsell_rate",
    ]
    header += [f"conversion_{a}_to_{b}" for a, b in steps]
    header += [f"days_in_{key}" for key in stages]
    rows: list[list[object]] = []
    named = [("(all)", report.overall)] + [(g.group, g.figures) for g in report.groups]
    for name, found in named:
        row: list[object] = [
            name,
            report.dates.first.isoformat(),
            report.dates.last.isoformat(),
            _round(found.response_time.median_hours),
            _round(found.response_time.p90_hours),
            found.response_time.answered,
            _round(found.within_sla.share),
            _round(found.lead_to_deal.rate),
            found.lead_to_deal.total,
            _round(found.follow_up_completion.rate),
            found.follow_up_completion.total,
            _round(found.win_rate.rate),
            found.win_rate.won,
            found.win_rate.lost,
            _round(found.renewal_rate.rate),
            _round(found.upsell_rate.rate),
        ]
        row += [_round(step.rate) for step in found.conversion_by_stage]
        row += [_round(found.avg_days_in_stage[key].days) for key in stages]
        rows.append(row)
    return header, rows


def _round(value: float | None) -> object:
    return "" if value is None else round(value, 4)
