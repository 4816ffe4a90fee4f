"""The manager's reports: the figures as tables, the funnel and the weekly
trend as terminal charts, for a period and a split the keys change.

The numbers come from ``crm_tui.reports.report.build_report``, the function
``crm report --json`` prints, so the screen and the JSON always agree.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Header, Static
from textual_plotext import PlotextPlot

from crm_tui.reports.facts import SPLITS, Split
from crm_tui.reports.metrics import Figures
from crm_tui.reports.report import Dates, Report, build_report, today_for
from crm_tui.workspace import Workspace
from screens.base import CrmScreen
from screens.footer import KeyFooter

# The period lengths "p" steps through, in days.
LENGTHS = (7, 30, 90, 365)

# At most this many ticks on a count axis, so their labels never crowd.
MOST_TICKS = 6
SPLIT_CYCLE: tuple[Split | None, ...] = (None, *SPLITS)


class ReportLoaded(Message):
    """The report for the chosen period and split came back."""

    def __init__(self, report: Report) -> None:
        super().__init__()
        self.report = report


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def num(value: float | None, unit: str = "") -> str:
    return "—" if value is None else f"{value:.1f}{unit}"


def count_ticks(top: int) -> list[int]:
    """Whole-number ticks from 0 past ``top``: counts are never fractions,
    and none is below zero (plotext would put ticks at 7.2, 14.5, … or
    spread an all-zero axis from -1 to 1)."""
    step = max(1, -(-top // (MOST_TICKS - 1)))
    return list(range(0, top + step, step)) if top > 0 else [0, 1]


def summary_rows(found: Figures) -> list[tuple[str, str, str]]:
    """(figure, value, what it counts): the summary table's rows."""
    rt, sla = found.response_time, found.within_sla
    ltd, fu, win = found.lead_to_deal, found.follow_up_completion, found.win_rate
    ren, ups = found.renewal_rate, found.upsell_rate
    return [
        ("Response time, median", num(rt.median_hours, "h"), f"{rt.answered} answered"),
        ("Response time, p90", num(rt.p90_hours, "h"), "business hours from arrival"),
        ("Within SLA", pct(sla.share), f"{sla.on_time} on time, {sla.missed} missed"),
        ("Lead to deal", pct(ltd.rate), f"{ltd.hits} of {ltd.total} leads"),
        ("Follow-ups on time", pct(fu.rate), f"{fu.hits} of {fu.total} due"),
        ("Win rate", pct(win.rate), f"{win.won} won, {win.lost} lost"),
        ("Renewal rate", pct(ren.rate), f"{ren.hits} of {ren.total} renewals"),
        ("Upsell rate", pct(ups.rate), f"{ups.hits} of {ups.total} customers"),
    ]


class ReportsScreen(CrmScreen[None]):
    """Reports for a period, overall or split by owner, source, territory
    or product.

    | Key(s) | Description |
    | :- | :- |
    | p | Next period length (7, 30, 90, 365 days). |
    | [ | The period before. |
    | ] | The period after. |
    | b | Next split: none, owner, source, territory, product. |
    | r | Refresh. |
    | escape | Back. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "period", "Period", id="report-period"),
        Binding(
            "left_square_bracket",
            "shift(-1)",
            "Earlier",
            key_display="[",
            id="report-earlier",
        ),
        Binding(
            "right_square_bracket",
            "shift(1)",
            "Later",
            key_display="]",
            id="report-later",
        ),
        Binding("b", "split", "Split by", id="report-split"),
        Binding("r", "refresh", "Refresh", id="report-refresh"),
        Binding("escape", "back", "Back", id="report-back"),
    ]

    def __init__(self, ws: Workspace, dates: Dates | None = None) -> None:
        super().__init__()
        self._ws = ws
        self._dates = dates
        self._by: Split | None = None
        self.report: Report | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="title-bar"):
            yield Static("Reports", id="reports-title", classes="title")
            yield Static("", id="reports-note", classes="title-note")
        with VerticalScroll(id="reports-body"):
            with Horizontal(id="reports-top"):
                with Vertical(classes="reports-column"):
                    yield DataTable(
                        id="reports-summary", cursor_type="none", classes="panel"
                    )
                    yield DataTable(
                        id="reports-stages", cursor_type="none", classes="panel"
                    )
                with Vertical(classes="reports-column"):
                    yield PlotextPlot(id="reports-funnel", classes="panel")
                    yield Static(
                        "", id="reports-funnel-empty", classes="panel chart-empty"
                    )
                    yield PlotextPlot(id="reports-weekly", classes="panel")
                    yield Static(
                        "", id="reports-weekly-empty", classes="panel chart-empty"
                    )
            yield DataTable(id="reports-groups", cursor_type="row", classes="panel")
        yield KeyFooter()

    def on_mount(self) -> None:
        summary = self.query_one("#reports-summary", DataTable)
        summary.border_title = "Figures"
        summary.add_columns("Figure", "Value", "Counts")
        stages = self.query_one("#reports-stages", DataTable)
        stages.border_title = "Stages"
        stages.add_columns("Stage", "Reached", "→ next", "Avg days")
        for chart, title in (("funnel", "Funnel"), ("weekly", "Weekly")):
            self.query_one(f"#reports-{chart}", PlotextPlot).border_title = title
            empty = self.query_one(f"#reports-{chart}-empty", Static)
            empty.border_title = title
            empty.display = False
        self.query_one("#reports-groups", DataTable).display = False
        self._reload()

    def _reload(self) -> None:
        self.query_one("#reports-summary", DataTable).loading = True
        self._load_report(self._dates, self._by)

    @work(thread=True, exclusive=True, exit_on_error=False, group="report")
    def _load_report(self, dates: Dates | None, by: Split | None) -> None:
        process = self._ws.process
        now = self._ws.clock.now()
        if dates is None:
            dates = Dates.last_days(30, today_for(process, now))
        with self._ws.read() as session:
            report = build_report(session, process, dates, now, by)
        self.post_message(ReportLoaded(report))

    def on_report_loaded(self, message: ReportLoaded) -> None:
        report = self.report = message.report
        self._dates = report.dates
        found = report.overall
        days = (report.dates.last - report.dates.first).days + 1
        split = f" · by {report.by}" if report.by else ""
        self.query_one("#reports-title", Static).update("Reports")
        self.query_one("#reports-note", Static).update(
            f"{_day(report.dates.first)} – {_day(report.dates.last)} "
            f"({days} days){split}"
        )
        summary = self.query_one("#reports-summary", DataTable)
        summary.loading = False
        summary.clear()
        for label, value, counts in summary_rows(found):
            summary.add_row(label, Text(value, style="bold", justify="right"), counts)
        self._show_stages(found)
        self._show_funnel(report)
        self._show_weekly(report)
        self._show_groups(report)

    def _show_stages(self, found: Figures) -> None:
        names = {s.key: s.name for s in self._ws.process.stages}
        table = self.query_one("#reports-stages", DataTable)
        table.clear()
        for step in found.conversion_by_stage:
            spent = found.avg_days_in_stage.get(step.stage)
            table.add_row(
                names.get(step.stage, step.stage),
                Text(str(step.reached), justify="right"),
                Text(pct(step.rate), justify="right"),
                Text(num(spent.days if spent else None), justify="right"),
            )

    def _show_funnel(self, report: Report) -> None:
        plot = self.query_one("#reports-funnel", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        steps = report.overall.conversion_by_stage
        reached = [s.reached for s in steps]
        if steps:
            reached.append(steps[-1].advanced)
        if not self._chart_shown("funnel", any(reached), "No deals were created"):
            return
        names = {s.key: s.name for s in self._ws.process.stages}
        labels = [names.get(key, key)[:16] for key in report.funnel]
        # plotext draws the first bar at the bottom; a funnel starts at the top.
        plt.bar(labels[::-1], reached[::-1], orientation="horizontal", width=0.5)
        # The bars lie down, so the counts run along the x axis.
        ticks = count_ticks(max(reached))
        plt.xlim(0, ticks[-1])
        plt.xticks([float(t) for t in ticks], [str(t) for t in ticks])
        plt.title("Deals created in the period, by furthest stage reached")
        plot.refresh()

    def _show_weekly(self, report: Report) -> None:
        plot = self.query_one("#reports-weekly", PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        labels = [week.start.strftime("%d %b") for week in report.weekly]
        xs = [float(n) for n in range(1, len(labels) + 1)]
        lines = (
            ("leads", [week.leads for week in report.weekly]),
            ("won", [week.won for week in report.weekly]),
            ("lost", [week.lost for week in report.weekly]),
        )
        top = max((max(series, default=0) for _, series in lines), default=0)
        if not self._chart_shown("weekly", top > 0, "No leads came and no deal closed"):
            return
        for name, series in lines:
            plt.plot(xs, series, label=name, marker="braille")
        # Every week's date would crowd the axis on a long period.
        step = max(1, len(xs) // 6)
        plt.xticks(xs[::step], labels[::step])
        ticks = count_ticks(top)
        plt.ylim(0, ticks[-1])
        plt.yticks([float(t) for t in ticks], [str(t) for t in ticks])
        plt.title("Leads, won and lost deals per week")
        plot.refresh()

    def _chart_shown(self, chart: str, anything: bool, nothing: str) -> bool:
        """Show ``chart``, or in its place a line saying there is nothing to
        chart (an empty plot is an axis from -1 to 1 that reads as data)."""
        self.query_one(f"#reports-{chart}", PlotextPlot).display = anything
        empty = self.query_one(f"#reports-{chart}-empty", Static)
        empty.display = not anything
        if not anything:
            empty.update(f"{nothing} in this period: nothing to chart.")
        return anything

    def _show_groups(self, report: Report) -> None:
        table = self.query_one("#reports-groups", DataTable)
        table.clear(columns=True)
        table.display = bool(report.by)
        if not report.by:
            return
        table.border_title = f"By {report.by}"
        labels = [label for label, _, _ in summary_rows(report.overall)]
        table.add_columns(report.by.capitalize(), *labels)
        for group in [*report.groups]:
            values = [value for _, value, _ in summary_rows(group.figures)]
            table.add_row(group.group, *values)

    # Keys --------------------------------------------------------------

    def action_period(self) -> None:
        """Step to the next period length, ending on the same day."""
        if self._dates is None:
            return
        length = (self._dates.last - self._dates.first).days + 1
        later = [n for n in LENGTHS if n > length]
        days = later[0] if later else LENGTHS[0]
        self._dates = Dates.last_days(days, self._dates.last)
        self._reload()

    def action_shift(self, steps: int) -> None:
        """Move the period one length earlier or later."""
        if self._dates is None:
            return
        self._dates = self._dates.shifted(steps)
        self._reload()

    def action_split(self) -> None:
        """Split the figures by the next dimension."""
        index = SPLIT_CYCLE.index(self._by)
        self._by = SPLIT_CYCLE[(index + 1) % len(SPLIT_CYCLE)]
        self._reload()

    def action_refresh(self) -> None:
        self._reload()

    def action_back(self) -> None:
        self.app.pop_screen()


def _day(value: date) -> str:
    return value.strftime("%d %b %Y")
