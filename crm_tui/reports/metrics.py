"""The arithmetic of the reports, over plain values.

Every figure is defined here once, in words and in code, so the screen, the
JSON and the CSV cannot disagree about what "win rate" means:

- **response time**: business hours from when a lead reached us to its
  first logged touch, for leads created in the period that have been
  answered; the median and the 90th percentile (nearest rank: the smallest
  time that at least 90% of answers beat or matched). A lead imported from
  another CRM reached us when it was imported, where its SLA clock starts
  too, not on the creation date the old CRM gave it.
- **within SLA**: of the leads created in the period whose answer is in or
  whose due time has passed, the share answered by their due time. A lead
  still inside its SLA and unanswered is not counted either way yet.
- **conversion by stage**: for the deals created in the period, how many
  reached each stage of the funnel (the open stages in order, then won) and
  the share of those that reached the next one. A deal that skipped a stage
  passed through it; a lost deal reached the furthest stage it entered.
- **lead-to-deal**: of the leads created in the period, the share that
  became a deal. Merged leads and leads disqualified as duplicates are not
  leads, so a duplicate never inflates the count.
- **follow-up completion**: of the tasks due in the period (and already
  due), the share done by their due time.
- **days in stage**: for the deals that were in a stage at some time in the
  period, the average of each deal's total days there: every visit adds (a
  deal sent back counts its second stay too), the first stage counts from
  the deal's creation, an unfinished stay counts up to now.
- **win rate**: won / (won + lost) over the deals closed in the period, each
  deal once however many contacts or products it has.
- **renewal rate**: renewal deals won / renewal deals closed in the period.
- **upsell rate**: of the accounts that were customers when the period began
  (a won deal closed before it), the share with an upsell deal won in it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

NO_GROUP = "(none)"


@dataclass(frozen=True)
class Period:
    """From ``start`` (inclusive) to ``end`` (exclusive), aware datetimes."""

    start: datetime
    end: datetime

    def __contains__(self, at: datetime | None) -> bool:
        return at is not None and self.start <= at < self.end


@dataclass(frozen=True)
class LeadFact:
    id: int
    created_at: datetime
    first_response_at: datetime | None
    sla_due_at: datetime | None
    # Business hours from arrival (the import, for an imported lead) to the
    # first touch, worked out by the caller's calendar.
    response_hours: float | None
    converted: bool
    groups: tuple[str, ...] = (NO_GROUP,)


@dataclass(frozen=True)
class StageVisit:
    stage: str
    start: datetime
    end: datetime | None  # None while the deal is still there


@dataclass(frozen=True)
class DealFact:
    id: int
    kind: str
    account_id: int | None
    created_at: datetime
    visits: tuple[StageVisit, ...]
    outcome: str | None  # "won", "lost" or None while open
    closed_at: datetime | None
    groups: tuple[str, ...] = (NO_GROUP,)

    @property
    def stage(self) -> str | None:
        return self.visits[-1].stage if self.visits else None


@dataclass(frozen=True)
class TaskFact:
    id: int
    due_at: datetime
    done_at: datetime | None
    groups: tuple[str, ...] = (NO_GROUP,)


# The figures -------------------------------------------------------------


@dataclass(frozen=True)
class ResponseTime:
    median_hours: float | None
    p90_hours: float | None
    answered: int


@dataclass(frozen=True)
class WithinSla:
    share: float | None
    on_time: int
    missed: int


@dataclass(frozen=True)
class StageStep:
    """One step of the funnel: of ``reached`` deals at ``stage``,
    ``advanced`` reached ``next_stage``."""

    stage: str
    next_stage: str
    reached: int
    advanced: int
    rate: float | None


@dataclass(frozen=True)
class Ratio:
    """``hits`` of ``total``; ``rate`` is None when there is nothing to count."""

    rate: float | None
    hits: int
    total: int


@dataclass(frozen=True)
class StageTime:
    days: float | None
    deals: int


@dataclass(frozen=True)
class WinRate:
    rate: float | None
    won: int
    lost: int


@dataclass(frozen=True)
class Week:
    start: datetime
    leads: int
    won: int
    lost: int
    win_rate: float | None
    median_response_hours: float | None


@dataclass(frozen=True)
class Figures:
    """Every figure of the report for one set of facts (all, or one group)."""

    response_time: ResponseTime
    within_sla: WithinSla
    conversion_by_stage: list[StageStep]
    lead_to_deal: Ratio
    follow_up_completion: Ratio
    avg_days_in_stage: dict[str, StageTime]
    win_rate: WinRate
    renewal_rate: Ratio
    upsell_rate: Ratio
    deals_in_stage: dict[str, int] = field(default_factory=dict)


def ratio(hits: int, total: int) -> Ratio:
    return Ratio(hits / total if total else None, hits, total)


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least ``share``
    of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def response_time(leads: Iterable[LeadFact], period: Period) -> ResponseTime:
    hours = [
        lead.response_hours
        for lead in leads
        if lead.created_at in period and lead.response_hours is not None
    ]
    return ResponseTime(
        statistics.median(hours) if hours else None,
        percentile(hours, 0.9),
        len(hours),
    )


def within_sla(leads: Iterable[LeadFact], period: Period, now: datetime) -> WithinSla:
    on_time = missed = 0
    for lead in leads:
        if lead.created_at not in period or lead.sla_due_at is None:
            continue
        answered = lead.first_response_at
        if answered is not None and answered <= lead.sla_due_at:
            on_time += 1
        elif answered is not None or lead.sla_due_at < now:
            missed += 1
    total = on_time + missed
    return WithinSla(on_time / total if total else None, on_time, missed)


def lead_to_deal(leads: Iterable[LeadFact], period: Period) -> Ratio:
    cohort = [lead for lead in leads if lead.created_at in period]
    return ratio(sum(lead.converted for lead in cohort), len(cohort))


def conversion_by_stage(
    deals: Iterable[DealFact], period: Period, funnel: Sequence[str]
) -> list[StageStep]:
    """``funnel``: the open stage keys in order, then the won stage(s)."""
    order = {key: n for n, key in enumerate(funnel)}
    reached = [0] * len(funnel)
    for deal in deals:
        if deal.created_at not in period:
            continue
        furthest = max(
            (order[v.stage] for v in deal.visits if v.stage in order), default=-1
        )
        for n in range(furthest + 1):
            reached[n] += 1
    return [
        StageStep(
            funnel[n],
            funnel[n + 1],
            reached[n],
            reached[n + 1],
            reached[n + 1] / reached[n] if reached[n] else None,
        )
        for n in range(len(funnel) - 1)
    ]


def days_in_stage(
    deals: Iterable[DealFact], period: Period, stages: Sequence[str], now: datetime
) -> dict[str, StageTime]:
    totals: dict[str, list[float]] = {key: [] for key in stages}
    for deal in deals:
        per_stage: dict[str, float] = {}
        present: set[str] = set()
        for visit in deal.visits:
            if visit.stage not in totals or visit.start >= now:
                continue
            end = min(visit.end or now, now)
            per_stage[visit.stage] = per_stage.get(visit.stage, 0.0) + (
                (end - visit.start).total_seconds()
            )
            if visit.start < period.end and end >= period.start:
                present.add(visit.stage)
        for key in present:
            totals[key].append(per_stage[key] / 86400)
    return {
        key: StageTime(sum(days) / len(days) if days else None, len(days))
        for key, days in totals.items()
    }


def _closed_in(deals: Iterable[DealFact], period: Period) -> dict[int, DealFact]:
    # Keyed by id, so a deal that reached here twice is still one deal.
    return {
        deal.id: deal
        for deal in deals
        if deal.outcome is not None and deal.closed_at in period
    }


def win_rate(deals: Iterable[DealFact], period: Period) -> WinRate:
    closed = _closed_in(deals, period).values()
    won = sum(deal.outcome == "won" for deal in closed)
    lost = sum(deal.outcome == "lost" for deal in closed)
    return WinRate(won / (won + lost) if won + lost else None, won, lost)


def renewal_rate(deals: Iterable[DealFact], period: Period) -> Ratio:
    closed = [d for d in _closed_in(deals, period).values() if d.kind == "renewal"]
    return ratio(sum(d.outcome == "won" for d in closed), len(closed))


def upsell_rate(deals: Iterable[DealFact], period: Period) -> Ratio:
    deals = list(deals)
    customers = {
        d.account_id
        for d in deals
        if d.outcome == "won"
        and d.account_id is not None
        and d.closed_at is not None
        and d.closed_at < period.start
    }
    upsold = {
        d.account_id
        for d in deals
        if d.kind == "upsell"
        and d.outcome == "won"
        and d.closed_at in period
        and d.account_id in customers
    }
    return ratio(len(upsold), len(customers))


def follow_up_completion(
    tasks: Iterable[TaskFact], period: Period, now: datetime
) -> Ratio:
    due = [t for t in tasks if t.due_at in period and t.due_at <= now]
    on_time = sum(t.done_at is not None and t.done_at <= t.due_at for t in due)
    return ratio(on_time, len(due))


def figures(
    leads: Sequence[LeadFact],
    deals: Sequence[DealFact],
    tasks: Sequence[TaskFact],
    *,
    period: Period,
    now: datetime,
    funnel: Sequence[str],
    stages: Sequence[str],
) -> Figures:
    """Every figure over one set of facts. ``stages``: the open stage keys,
    whose time is measured."""
    in_stage: dict[str, int] = {}
    for deal in deals:
        if deal.stage is not None:
            in_stage[deal.stage] = in_stage.get(deal.stage, 0) + 1
    return Figures(
        response_time=response_time(leads, period),
        within_sla=within_sla(leads, period, now),
        conversion_by_stage=conversion_by_stage(deals, period, funnel),
        lead_to_deal=lead_to_deal(leads, period),
        follow_up_completion=follow_up_completion(tasks, period, now),
        avg_days_in_stage=days_in_stage(deals, period, stages, now),
        win_rate=win_rate(deals, period),
        renewal_rate=renewal_rate(deals, period),
        upsell_rate=upsell_rate(deals, period),
        deals_in_stage=in_stage,
    )


def weeks(
    leads: Sequence[LeadFact],
    deals: Sequence[DealFact],
    period: Period,
    first_monday: datetime,
) -> list[Week]:
    """The weekly trend: one row per week from ``first_monday`` (the start
    of the week the period starts in) to the end of the period."""
    rows = []
    start = first_monday
    while start < period.end:
        week = Period(max(start, period.start), min(start + timedelta(7), period.end))
        wins = win_rate(deals, week)
        rows.append(
            Week(
                start=start,
                leads=sum(lead.created_at in week for lead in leads),
                won=wins.won,
                lost=wins.lost,
                win_rate=wins.rate,
                median_response_hours=response_time(leads, week).median_hours,
            )
        )
        start += timedelta(7)
    return rows


def group_names(facts: Iterable[LeadFact | DealFact | TaskFact]) -> list[str]:
    """Every group the facts fall in, "(none)" last."""
    names = {name for fact in facts for name in fact.groups}
    return sorted(names - {NO_GROUP}, key=str.casefold) + (
        [NO_GROUP] if NO_GROUP in names else []
    )
