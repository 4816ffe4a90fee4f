"""The pipeline board: one column per stage, a card per deal, moved from the
keyboard.

Each column shows its true count and total, but holds only the cards it has
loaded: a page of the top cards comes from a keyset query in a thread worker,
and the next page when the focus nears the end of what is loaded. A board of
50,000 open deals mounts a few dozen card widgets, not 50,000.

A move that lacks what its stage needs opens a small form asking for exactly
that and then moves; cancelling it leaves the card where it was. A move
that reopens a lost deal, clearing its lost reason, is confirmed first.
"""

from __future__ import annotations

import gc
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from rich.segment import Segment
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, HorizontalScroll, Vertical
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import Header, Input, Static

from crm_tui.errors import CrmError
from crm_tui.models import Deal
from crm_tui.process import Stage
from crm_tui.queries.deals import (
    CARD_PAGE,
    BoardFilter,
    Card,
    ColumnTotals,
    column_page,
    column_totals,
    deal_card,
)
from crm_tui.queries.users import user_list
from crm_tui.rules.stages import Need, neighbour_stage
from crm_tui.services.deals import GateMissing, move_deal, reorder_deal
from crm_tui.storage import READ_ONLY
from crm_tui.workspace import Workspace
from screens.base import CrmScreen
from screens.footer import KeyFooter
from screens.forms import Confirm, GateForm, Picker

# Fetch the next page while this many loaded cards are still below the focus.
LOAD_AHEAD = 3

# A first load taking longer than this many seconds shows a spinner.
SPINNER_AFTER = 0.25

# A card's text width: the column's 30 cells less its border and padding.
CARD_WIDTH = 25

MOVE = Binding.Group("Move focus", compact=True)
CARD = Binding.Group("Move card", compact=True)
ORDER = Binding.Group("Reorder", compact=True)


def money(amount: Decimal | None) -> str:
    """An amount at a glance: ``$12,500``, ``$1.2M``."""
    if amount is None:
        return "—"
    if amount >= 1_000_000:
        return f"${amount / 1_000_000:.1f}M"
    return f"${amount:,.0f}"


def card_text(card: Card, now: datetime, width: int = CARD_WIDTH) -> Text:
    """What a card says: the deal, its account, amount and owner, how long it
    has sat in its stage, and its next step or a warning that it has none.
    One line each, cut to the card's width."""

    def cut(line: str) -> str:
        return line if len(line) <= width else line[: width - 1] + "…"

    days = max(0, (now - card.stage_entered_at).days)
    text = Text()
    text.append(cut(card.title or "(untitled)"), style="bold")
    text.append("\n")
    text.append(cut(card.account or "no account"), style="" if card.account else "dim")
    text.append("\n")
    text.append(cut(f"{money(card.amount)} · {card.owner or 'nobody'} · {days}d"))
    text.append("\n")
    if card.flags.no_next_step:
        text.append("⚠ no next step", style="bold yellow")
    elif card.next_step_at is not None:
        step = cut(f"▸ {card.next_step_at:%b %d} {card.next_step}")
        text.append(step, style="green")
    if card.flags.stalled:
        text.append("\n⚠ stalled", style="bold red")
    return text


class BoardScroll(HorizontalScroll, can_focus=False):
    """The columns side by side, scrolled to the focused one."""


@dataclass
class _Drawn:
    """A card as drawn: its text, and its lines per (focused, width)."""

    card: Card
    text: Text
    height: int
    strips: dict[tuple[bool, int], list[Strip]] = field(default_factory=dict)


class CardList(ScrollView, can_focus=False):
    """A column's loaded cards, drawn line by line by this one widget.

    A widget per card costs every key press a message to each of them and a
    relayout of the column whenever one comes or goes; here a focus move
    redraws the lines of one column, and a card move two lists' lines. Each
    card's lines are rendered once and kept until the card or the width
    changes. The board, not the list, takes the keys.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"card-list--card", "card-list--focused"}

    def __init__(self) -> None:
        super().__init__(classes="column-cards")
        self._drawn: list[_Drawn] = []
        self._tops: list[int] = []
        self.focused: int | None = None

    def show(self, cards: list[Card], now: datetime) -> None:
        """Draw ``cards``, reusing the lines of those already drawn."""
        known = {id(d.card): d for d in self._drawn}
        self._drawn = [known.get(id(card)) or _draw(card, now) for card in cards]
        self._tops = []
        top = 0
        for drawn in self._drawn:
            self._tops.append(top)
            top += 1 + drawn.height  # a blank line above each card
        if self.focused is not None and self.focused >= len(self._drawn):
            self.focused = None
        self._resize(Size(0, top))
        self.refresh()

    def _resize(self, size: Size) -> None:
        """Set the lists' scrolling height. Textual lays the whole screen out
        again for every new virtual size (a third of a card move's time on a
        500-card board); the column's own size never follows it, so unless
        the scroll bar comes or goes, the bar is told the new height alone."""
        height = self.size.height
        if not height or (size.height > height) != (self.virtual_size.height > height):
            self.virtual_size = size
            return
        self.set_reactive(CardList.virtual_size, size)
        self._scroll_update(size)

    def set_focused(self, index: int | None) -> None:
        """Highlight the card at ``index`` (None: no card) and scroll to it."""
        if index is not None and not 0 <= index < len(self._drawn):
            index = None
        if index != self.focused:
            # Only the two cards' lines change (a scroll redraws the rest).
            for changed in (self.focused, index):
                if changed is not None and changed < len(self._drawn):
                    top = self._tops[changed] - self.scroll_offset.y
                    height = self._drawn[changed].height + 1
                    self.refresh(Region(0, top, self.size.width, height))
            self.focused = index
        if index is not None:
            top = self._tops[index]
            region = Region(0, top, 1, self._drawn[index].height + 1)
            self.scroll_to_region(region, animate=False, immediate=True)

    @property
    def cards_drawn(self) -> list[Card]:
        return [drawn.card for drawn in self._drawn]

    def lines_of(self, index: int) -> str:
        """What the card at ``index`` says, as plain text."""
        return self._drawn[index].text.plain

    def notify_style_update(self) -> None:
        super().notify_style_update()
        for drawn in self._drawn:  # a new theme: draw every card again
            drawn.strips.clear()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        line = self.scroll_offset.y + y
        index = bisect_right(self._tops, line) - 1
        if 0 <= index < len(self._drawn):
            offset = line - self._tops[index] - 1
            if offset >= 0:
                strips = self._strips(index, width)
                if offset < len(strips):
                    return strips[offset]
        return Strip.blank(width, self.rich_style)

    def _strips(self, index: int, width: int) -> list[Strip]:
        drawn = self._drawn[index]
        focused = index == self.focused
        found = drawn.strips.get((focused, width))
        if found is None:
            style = self.get_component_rich_style(
                "card-list--focused" if focused else "card-list--card"
            )
            console = self.app.console
            inner = max(1, width - 2)  # a cell of padding either side
            lines = console.render_lines(
                drawn.text, console.options.update_width(inner), style=style
            )
            edge = Segment(" ", style)
            found = [
                Strip([edge, *line, edge]).crop_extend(0, width, style)
                for line in lines
            ]
            drawn.strips[(focused, width)] = found
        return found


def _draw(card: Card, now: datetime) -> _Drawn:
    text = card_text(card, now)
    text.no_wrap = True
    text.overflow = "ellipsis"
    return _Drawn(card, text, text.plain.count("\n") + 1)


class StageColumn(Vertical):
    """A stage's column: its header with count and total, and the cards it
    has loaded so far."""

    def __init__(self, stage: Stage) -> None:
        super().__init__(classes="column", id=f"column-{stage.key}")
        self.stage = stage
        self.cards: list[Card] = []
        self.totals = ColumnTotals(0, Decimal(0))
        self.more = False
        # A next page is on its way. (Not Textual's `loading`, which would
        # cover the column with a spinner for the blink it takes.)
        self.fetching = False
        # Whether a first page has been shown since the board opened.
        self.loaded = False
        self._now: datetime | None = None

    def compose(self) -> ComposeResult:
        yield Static(self.stage.name, classes="column-title", markup=False)
        yield Static("", classes="column-totals")
        yield CardList()

    @property
    def body(self) -> CardList:
        return self.query_one(CardList)

    def show_totals(self) -> None:
        count = self.totals.count
        shown = (
            f"{count:,} deal{'s' if count != 1 else ''} · {money(self.totals.amount)}"
        )
        # One line, always: its size never changes, so no relayout.
        self.query_one(".column-totals", Static).update(shown, layout=False)

    def set_cards(self, cards: list[Card], now: datetime, *, first: bool) -> None:
        """Show a first page (replacing what was there) or append the next."""
        if first:
            self.cards = list(cards)
        else:
            known = {k.id for k in self.cards}
            self.cards.extend(c for c in cards if c.id not in known)
        self.more = len(cards) == CARD_PAGE
        self.loaded = True
        self.body.show(self.cards, now)
        self.show_totals()

    def drop(self, deal_id: int, now: datetime) -> None:
        """A card left this column: take it out, count it out."""
        for index, card in enumerate(self.cards):
            if card.id == deal_id:
                del self.cards[index]
                self.totals = ColumnTotals(
                    max(0, self.totals.count - 1),
                    self.totals.amount - (card.amount or 0),
                )
                self.body.show(self.cards, now)
                self.show_totals()
                return

    def put_top(self, card: Card, now: datetime) -> None:
        """A card entered this column: a move puts it on top."""
        self.cards.insert(0, card)
        self.totals = ColumnTotals(
            self.totals.count + 1, self.totals.amount + (card.amount or 0)
        )
        self.body.show(self.cards, now)
        self.show_totals()


class BoardLoaded(Message):
    """Every column's totals and first page came back."""

    def __init__(
        self,
        generation: int,
        totals: dict[str, ColumnTotals],
        pages: dict[str, list[Card]],
    ) -> None:
        super().__init__()
        self.generation = generation
        self.totals = totals
        self.pages = pages


class ColumnPageLoaded(Message):
    """The next page of one column came back."""

    def __init__(self, generation: int, stage: str, cards: list[Card]) -> None:
        super().__init__()
        self.generation = generation
        self.stage = stage
        self.cards = cards


# h moves between columns here, so the app's h (my hand-offs) is out of
# reach; H, every hand-off waiting, is not taken by the board.
HANDOFF_HINT = "press H for the hand-offs waiting, where it is listed."


class DealMoved(Message):
    """A deal is in a new stage (or a new place in its column); ``source``
    is the stage it left (the same one for a reorder). ``card`` is the deal
    as it now shows, read back with the move, when it changed stage."""

    def __init__(
        self,
        deal_id: int,
        stage: str,
        note: str,
        source: str,
        card: Card | None = None,
    ) -> None:
        super().__init__()
        self.deal_id = deal_id
        self.stage = stage
        self.note = note
        self.source = source
        self.card = card


class MoveNeedsMore(Message):
    """A move lacks what its stage gates need; ask for exactly that."""

    def __init__(
        self, deal_id: int, stage: Stage, needs: list[Need], given: dict[str, str]
    ) -> None:
        super().__init__()
        self.deal_id = deal_id
        self.stage = stage
        self.needs = needs
        self.given = given


class ReopenAsked(Message):
    """A move would take a deal out of Closed lost into an open stage, which
    clears its lost reason; ``cleared`` says what that reason is (None when
    it had none, and the move needs no asking)."""

    def __init__(
        self, deal_id: int, title: str, stage: Stage, cleared: str | None
    ) -> None:
        super().__init__()
        self.deal_id = deal_id
        self.title = title
        self.stage = stage
        self.cleared = cleared


class MoveFailed(Message):
    """A move or reorder could not happen; ``reason`` is for the rep."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


@dataclass(frozen=True)
class Focus:
    column: int = 0
    card: int = 0


class BoardScreen(CrmScreen[None]):
    """The pipeline: every stage a column, every deal a card.

    | Key(s) | Description |
    | :- | :- |
    | h l, left right | Move between columns. |
    | j k, down up | Move between cards. |
    | > < (shift+right/left) | Move the card to the next / previous stage. |
    | m | Move the card to a stage you choose. |
    | J K (shift+down/up) | Move the card down / up in its column. |
    | o | Whose deals: mine, a rep's, everyone's. |
    | / | Filter by deal or account name. |
    | enter | Open the deal. |
    | r | Refresh. |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("h,left", "column(-1)", "Left", group=MOVE, id="left"),
        Binding("l,right", "column(1)", "Right", group=MOVE, id="right"),
        Binding("k,up", "card(-1)", "Up", group=MOVE, id="up"),
        Binding("j,down", "card(1)", "Down", group=MOVE, id="down"),
        Binding(
            "greater_than_sign,shift+right",
            "step(1)",
            "Next stage",
            key_display=">",
            group=CARD,
            id="next-stage",
        ),
        Binding(
            "less_than_sign,shift+left",
            "step(-1)",
            "Previous stage",
            key_display="<",
            group=CARD,
            id="previous-stage",
        ),
        Binding("m", "move_to", "Move to…", id="move-to"),
        Binding(
            "K,shift+up",
            "reorder(-1)",
            "Card up",
            key_display="K",
            group=ORDER,
            id="card-up",
        ),
        Binding(
            "J,shift+down",
            "reorder(1)",
            "Card down",
            key_display="J",
            group=ORDER,
            id="card-down",
        ),
        Binding("enter", "open", "Open", id="open"),
        Binding("o", "owner", "Whose", id="owner"),
        Binding("slash", "search", "Filter", key_display="/", id="search"),
        Binding("escape", "escape", "Back", id="back"),
        Binding("r", "reload", "Refresh", id="refresh"),
    ]

    # The board itself takes the keys; the filter box only when opened.
    AUTO_FOCUS = ""

    def __init__(self, ws: Workspace) -> None:
        super().__init__()
        self._ws = ws
        self._stages = list(ws.process.stages)
        self._filter = BoardFilter()
        self._owner_label = "everyone"
        self._generation = 0
        # The generation last drawn: behind ``_generation`` while a read of
        # the board is under way.
        self._drawn = 0
        self._focus = Focus()
        # Where the focus should land once the next load arrives.
        self._follow: tuple[str, int] | None = None
        self._busy = False
        self._columns: list[StageColumn] = []
        self._moving_from = ""
        # What the keys offered when the footer was last drawn.
        # Until the first load the keys are drawn as if a card had the
        # focus, as it will on any board with a deal: the footer, drawn as
        # the board opens, then needs no second drawing when the cards come.
        self._offered: tuple[bool, bool, bool] = (True, False, False)
        self._loaded = False
        self._spinner: Timer | None = None
        self._title_shown: tuple[str, str] = ("", "")
        # The list whose card is highlighted.
        self._focused_list: CardList | None = None
        self._frozen = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="title-bar"):
            yield Static("Pipeline", id="board-title", classes="title")
            yield Static("", id="board-filter", classes="title-note")
        yield Input(placeholder="Filter by deal or account name", id="board-search")
        with BoardScroll(id="board-columns"):
            for stage in self._stages:
                yield StageColumn(stage)
        yield KeyFooter()

    def on_mount(self) -> None:
        # A board usually reads in a blink; a spinner drawn and animated
        # for that blink costs more than the reading. It shows only when
        # the reading takes long enough to be seen.
        self._spinner = self.set_timer(SPINNER_AFTER, self._spin)
        self.reload()

    def _spin(self) -> None:
        if not self._loaded:
            self.query_one("#board-columns").loading = True

    # Loading -------------------------------------------------------------

    @property
    def columns(self) -> list[StageColumn]:
        # The columns are fixed once composed; querying the DOM for them
        # walks every card, and the footer asks (through check_action)
        # once per binding on every key.
        if not self._columns:
            self._columns = list(self.query(StageColumn))
        return self._columns

    def refresh_data(self) -> None:
        """Live refresh: a colleague committed; reload and keep the focus."""
        if self.is_mounted:
            self.reload()

    def reload(self, stages: set[str] | None = None) -> None:
        """Read the board again (every column's totals, and the top cards of
        ``stages``, else of every column), keeping the focus on the same
        card when it is still there."""
        card = self.focused_card()
        if self._follow is None and card is not None:
            self._follow = (card.stage, card.id)
        self._generation += 1
        self._load_board(self._generation, self._filter, stages)

    @work(thread=True, exit_on_error=False, group="board")
    def _load_board(
        self, generation: int, flt: BoardFilter, stages: set[str] | None = None
    ) -> None:
        now = self._ws.clock.now()
        process = self._ws.process
        with self._ws.read() as session:
            totals = column_totals(session, flt)
            pages = {
                stage.key: column_page(session, process, stage.key, flt, now)
                for stage in self._stages
                if stages is None or stage.key in stages
            }
        self.post_message(BoardLoaded(generation, totals, pages))

    def on_board_loaded(self, message: BoardLoaded) -> None:
        if message.generation != self._generation:
            return
        self._drawn = message.generation
        self._loaded = True
        if self._spinner is not None:
            self._spinner.stop()
        self.query_one("#board-columns").loading = False
        now = self._ws.clock.now()
        for column in self.columns:
            column.totals = message.totals.get(
                column.stage.key, ColumnTotals(0, Decimal(0))
            )
            if column.stage.key in message.pages:
                column.set_cards(message.pages[column.stage.key], now, first=True)
            else:
                column.show_totals()
        self._show_state()
        self._land()

    def _land(self) -> None:
        """Put the focus where it should be after a load."""
        if not self._frozen:
            # Everything the app holds once the board is first drawn (its
            # imports, the schema, the board's widgets and what they drew)
            # lives about as long as the app. Left to the collector, every
            # full collection walks it all again, a pause of 150-250 ms in
            # the middle of some later key press; frozen, it is skipped.
            self._frozen = True
            self.call_after_refresh(gc.freeze)
        columns = self.columns
        focus = self._focus
        if self._follow is not None:
            stage, deal_id = self._follow
            self._follow = None
            for n, column in enumerate(columns):
                if column.stage.key == stage:
                    ids = [c.id for c in column.cards]
                    index = ids.index(deal_id) if deal_id in ids else focus.card
                    focus = Focus(n, index)
        self._set_focus(focus)

    def _load_more(self, column: StageColumn) -> None:
        if not column.more or column.fetching or not column.cards:
            return
        if self._focus.card < len(column.cards) - LOAD_AHEAD:
            return
        column.fetching = True
        self._load_page(self._generation, column.stage.key, column.cards[-1].key)

    @work(thread=True, exit_on_error=False, group="column")
    def _load_page(self, generation: int, stage: str, after: tuple[float, int]) -> None:
        with self._ws.read() as session:
            cards = column_page(
                session,
                self._ws.process,
                stage,
                self._filter,
                self._ws.clock.now(),
                after=after,
            )
        self.post_message(ColumnPageLoaded(generation, stage, cards))

    def on_column_page_loaded(self, message: ColumnPageLoaded) -> None:
        column = self._column(message.stage)
        if column is None:
            return
        column.fetching = False
        if message.generation != self._generation:
            return
        column.set_cards(message.cards, self._ws.clock.now(), first=False)

    def _column(self, stage: str) -> StageColumn | None:
        for column in self.columns:
            if column.stage.key == stage:
                return column
        return None

    def _show_state(self) -> None:
        open_count = sum(c.totals.count for c in self.columns if not c.stage.closed)
        words = [f"whose: {self._owner_label}"]
        if self._filter.text:
            words.append(f"matching “{self._filter.text}”")
        deals = f"{open_count:,} open deal{'s' if open_count != 1 else ''}"
        shown = (f"Pipeline · {deals}", " · ".join(words))
        # Drawn again only when changed: a redrawn line is a relayout.
        if shown != self._title_shown:
            self._title_shown = shown
            self.query_one("#board-title", Static).update(shown[0])
            self.query_one("#board-filter", Static).update(shown[1])
        self._refresh_keys()

    def _refresh_keys(self) -> None:
        """Redraw the footer's keys when what they offer changed.

        The footer rebuilds all its keys on every refresh (tens of ms), and
        focus moves between cards rarely change which keys apply."""
        offered = (
            self._card_in_reach(),
            bool(self._filter.text),
            self.query_one("#board-search").has_class("-open"),
        )
        if offered != self._offered:
            self._offered = offered
            self.refresh_bindings()

    def _card_in_reach(self) -> bool:
        """Whether the card keys apply: a card has the focus (or the board
        has yet to load, when they are shown as they will most likely be)."""
        return self.focused_card() is not None or not self._loaded

    # Focus -----------------------------------------------------------------

    def focused_column(self) -> StageColumn | None:
        columns = self.columns
        if not columns:
            return None
        return columns[min(self._focus.column, len(columns) - 1)]

    def focused_card(self) -> Card | None:
        column = self.focused_column()
        if column is None or not column.cards:
            return None
        return column.cards[min(self._focus.card, len(column.cards) - 1)]

    def _set_focus(self, focus: Focus) -> None:
        columns = self.columns
        index = max(0, min(focus.column, len(columns) - 1))
        column = columns[index]
        card = max(0, min(focus.card, len(column.cards) - 1))
        self._focus = Focus(index, card)
        body = column.body
        if self._focused_list is not None and self._focused_list is not body:
            self._focused_list.set_focused(None)
        self._mark_column(column)
        self.query_one("#board-columns", BoardScroll).scroll_to_widget(
            column, animate=False
        )
        body.set_focused(card if column.cards else None)
        self._focused_list = body
        self._load_more(column)
        self._refresh_keys()

    def _mark_column(self, column: StageColumn) -> None:
        """Outline the focused column. A class change restyles a widget and
        everything in it, a dozen cards per column; only the column's own
        border depends on it, so only the columns are restyled."""
        changed = [
            other
            for other in self.columns
            if other.has_class("-focused") != (other is column)
        ]
        for other in changed:
            other.set_class(other is column, "-focused", update=False)
        if changed:
            self.app.stylesheet.update_nodes(changed, animate=False)

    def action_column(self, step: int) -> None:
        """Move the focus to the next or previous column."""
        self._set_focus(Focus(self._focus.column + step, self._focus.card))

    def action_card(self, step: int) -> None:
        """Move the focus to the next or previous card."""
        self._set_focus(Focus(self._focus.column, self._focus.card + step))

    # Moving cards -------------------------------------------------------------

    def _refused_as_read_only(self) -> bool:
        """Say at once that a file taking no changes takes no move either,
        before a form asks for what the move would need."""
        if self._ws.read_only:
            self.notify(READ_ONLY, title="Not moved", severity="warning")
        return self._ws.read_only

    def action_step(self, step: int) -> None:
        """Move the card to the next or previous stage."""
        card = self.focused_card()
        if card is None or self._refused_as_read_only():
            return
        target = neighbour_stage(self._ws.process, card.stage, step)
        if target is not None:
            self._start_move(card, target.key, {})

    def action_move_to(self) -> None:
        """Choose a stage and move the card there."""
        card = self.focused_card()
        if card is None:
            self.notify("There is no card here to move.", severity="warning")
            return
        if self._refused_as_read_only():
            return
        options = [(s.key, s.name) for s in self._stages if s.key != card.stage]

        def chosen(stage: str | None) -> None:
            if stage is not None:
                self._start_move(card, stage, {})

        self.app.push_screen(Picker(f"Move “{card.title}” to", options), chosen)

    def _start_move(self, card: Card, stage: str, given: dict[str, str]) -> None:
        if self._busy:
            return
        self._busy = True
        self._moving_from = card.stage
        process = self._ws.process
        target = process.stage(stage)
        if process.stage(card.stage).closed == "lost" and not target.closed:
            # Reopening clears the lost reason (the service does, so the
            # reason never describes an open deal): the rep is asked first.
            self._read_lost_reason(card.id, card.title, target)
        else:
            self._move_card(card.id, stage, given)

    @work(thread=True, exit_on_error=False, group="move")
    def _read_lost_reason(self, deal_id: int, title: str, stage: Stage) -> None:
        with self._ws.read() as session:
            deal = session.get(Deal, deal_id)
            reason = deal.lost_reason if deal is not None else None
            note = deal.lost_note if deal is not None else None
        cleared = None
        if reason:
            try:
                cleared = self._ws.process.lost_reason(reason).label
            except CrmError:
                cleared = reason  # a reason the process no longer lists
        if note:
            cleared = f"{cleared}: {note}" if cleared else note
        self.post_message(ReopenAsked(deal_id, title, stage, cleared))

    def on_reopen_asked(self, message: ReopenAsked) -> None:
        if message.cleared is None:
            self._move_card(message.deal_id, message.stage.key, {})
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._move_card(message.deal_id, message.stage.key, {})
            else:
                self._busy = False
                self.notify("Not moved.", severity="information")

        question = (
            f"Reopen “{message.title}” in {message.stage.name}? Its lost reason "
            f"({message.cleared}) will be cleared; the history keeps it."
        )
        self.app.push_screen(Confirm(question), answered)

    @work(thread=True, exit_on_error=False, group="move")
    def _move_card(self, deal_id: int, stage: str, given: dict[str, str]) -> None:
        try:
            deal = move_deal(self._ws, deal_id, stage, given)
            with self._ws.read() as session:
                card = deal_card(
                    session, self._ws.process, deal_id, self._ws.clock.now()
                )
        except GateMissing as missing:
            self.post_message(
                MoveNeedsMore(deal_id, missing.stage, missing.needs, given)
            )
        except CrmError as error:
            self.post_message(MoveFailed(str(error)))
        else:
            name = self._ws.process.stage(deal.stage).name
            note = f"Moved to {name}."
            if self._ws.process.stage(deal.stage).closed == "won":
                # The hand-off opened with the win; say where to write it.
                note = f"Won! Its hand-off checklist is open: {HANDOFF_HINT}"
            self.post_message(
                DealMoved(deal_id, deal.stage, note, self._moving_from, card)
            )

    def on_move_needs_more(self, message: MoveNeedsMore) -> None:
        self._busy = False
        title = f"To move to {message.stage.name}"

        def answered(values: dict[str, str] | None) -> None:
            if values is None:
                self.notify("Not moved.", severity="information")
                return
            self._busy = True
            merged = message.given | values
            self._move_card(message.deal_id, message.stage.key, merged)

        form = GateForm(self._ws.process, title, message.needs, clock=self._ws.clock)
        self.app.push_screen(form, answered)

    def on_deal_moved(self, message: DealMoved) -> None:
        self._busy = False
        if message.note:
            self.notify(message.note)
        source = self._column(message.source)
        target = self._column(message.stage)
        if message.card is None or source is None or target is None:
            self._follow = (message.stage, message.deal_id)
            self.reload({message.source, message.stage})
            return
        # Only two columns change, by one card each: take it out of one and
        # put it on top of the other, every other card kept as drawn. A
        # colleague's moves come with the next live refresh, which reads the
        # whole board.
        now = self._ws.clock.now()
        source.drop(message.deal_id, now)
        target.drop(message.deal_id, now)
        target.put_top(message.card, now)
        # The focus goes with the card before anything asks where it is: a
        # moment on an emptied column would redraw the footer twice.
        self._focus = Focus(self.columns.index(target), 0)
        self._show_state()
        self._set_focus(self._focus)
        if self._drawn != self._generation:
            # A read of the board (a colleague's change, say) was under way
            # as the card moved and may predate the move: read again, and
            # land on the moved card rather than where it was.
            self._follow = (message.stage, message.deal_id)
            self.reload()

    def on_move_failed(self, message: MoveFailed) -> None:
        self._busy = False
        self.notify(message.reason, title="Not moved", severity="warning")
        self.reload()

    def action_reorder(self, step: int) -> None:
        """Move the card up or down within its column (never to another stage)."""
        column = self.focused_column()
        card = self.focused_card()
        if column is None or card is None or self._busy:
            return
        if self._refused_as_read_only():
            return
        index = column.cards.index(card) + step
        if not 0 <= index < len(column.cards):
            return
        anchor = column.cards[index]
        self._busy = True
        if step < 0:
            self._reorder(card, before=anchor.id)
        else:
            self._reorder(card, after=anchor.id)

    @work(thread=True, exit_on_error=False, group="move")
    def _reorder(self, card: Card, **where: Any) -> None:
        try:
            reorder_deal(self._ws, card.id, **where)
        except CrmError as error:
            self.post_message(MoveFailed(str(error)))
        else:
            self.post_message(DealMoved(card.id, card.stage, "", card.stage))

    # Opening, filtering -------------------------------------------------------

    def action_open(self) -> None:
        """Open the focused deal's page."""
        card = self.focused_card()
        if card is None:
            return
        from screens.deal import DealScreen

        def back(_: None) -> None:
            self.reload()

        self.app.push_screen(DealScreen(self._ws, card.id), back)

    def action_owner(self) -> None:
        """Choose whose deals the board shows."""
        self._pick_owner()

    @work(thread=True, exit_on_error=False, group="owners")
    def _pick_owner(self) -> None:
        with self._ws.read() as session:
            users = [u for u in user_list(session) if u["active"]]
        options = [("mine", "Mine"), ("everyone", "Everyone")] + [
            (str(u["id"]), u["display_name"] or u["name"]) for u in users
        ]
        names = dict(options)

        def chosen(key: str | None) -> None:
            if key is None:
                return
            if key == "everyone":
                owner = None
            elif key == "mine":
                owner = self._ws.user_id
            else:
                owner = int(key)
            self._owner_label = (
                names[key].lower() if key in ("mine", "everyone") else names[key]
            )
            self._filter = BoardFilter(owner, self._filter.text)
            self._focus = Focus(self._focus.column, 0)
            self.reload()

        self.app.call_from_thread(
            self.app.push_screen, Picker("Whose deals", options), chosen
        )

    def action_search(self) -> None:
        """Filter the cards by deal or account name."""
        search = self.query_one("#board-search", Input)
        search.add_class("-open")
        search.focus()

    @on(Input.Submitted, "#board-search")
    def _searched(self, event: Input.Submitted) -> None:
        self._filter = BoardFilter(self._filter.owner_id, event.value.strip())
        self._focus = Focus(self._focus.column, 0)
        self.set_focus(None)
        self.reload()

    def action_escape(self) -> None:
        """Forget the text filter if there is one, else leave the board."""
        searching = bool(self._filter.text) or self.query_one(
            "#board-search"
        ).has_class("-open")
        if searching:
            self.action_clear_search()
        else:
            self.dismiss()

    def action_clear_search(self) -> None:
        """Forget the text filter."""
        search = self.query_one("#board-search", Input)
        search.value = ""
        search.remove_class("-open")
        self.set_focus(None)
        if self._filter.text:
            self._filter = BoardFilter(self._filter.owner_id, "")
            self.reload()

    def action_reload(self) -> None:
        """Read the board again: colleagues' moves appear."""
        self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_mounted:
            return True
        if action in ("step", "reorder", "open"):
            return self._card_in_reach() or None
        # Always taken here, card or not: greyed out, m would fall through to
        # the app's m and leave the board (and its filter) for My leads.
        return True
