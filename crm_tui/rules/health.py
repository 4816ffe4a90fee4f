"""Account health: the ``when`` conditions of ``[retention] health_rules``.

A manager writes a rule in ``process.toml`` as a small condition over what an
account shows about itself, for example::

    status = "at risk"
    when = "renewal_within_days <= 60 and not onboarding_completed"

The rules are tried in file order and the first whose condition holds gives
the account its status; when none holds, the account is ``healthy``.

The language, completely:

    condition  := either ("or" either)*
    either     := both ("and" both)*
    both       := "not" both | comparison
    comparison := operand (("==" | "!=" | "<" | "<=" | ">" | ">=") operand)?
    operand    := NAME | NUMBER | 'text' | "text" | true | false | "(" condition ")"

- Names (and nothing else) come from the account:

  ===========================  ======  ============================================
  renewal_within_days          number  days from today to the renewal date (negative
                                       once it has passed); no renewal date: unknown
  onboarding_completed         yes/no  onboarding is marked complete
  open_support_issues          number  support issues not yet resolved
  resolved_support_issues      number  support issues resolved
  unresolved_promises          number  promises from the hand-off not yet kept
  usage                        text    the usage indicator (``low``, ``medium``,
                                       ``high``, or what the team uses); may be unknown
  expansion_interest           yes/no  the customer has shown interest in buying more
  ===========================  ======  ============================================

- Numbers compare with all six operators, text only with ``==`` and ``!=``,
  yes/no values with ``==`` and ``!=``. ``and``, ``or`` and ``not`` take
  yes/no values; a number or a text on its own is not a condition (write
  ``open_support_issues > 0``).
- A comparison with an unknown value (no renewal date, no usage) is false,
  whichever operator it uses.

Conditions are parsed once, when the process file is loaded, so a misspelt
name or a dangling ``and`` is one line from ``crm rules check`` naming the
column, not a surprise on some account months later. Nothing is ever handed
to ``eval``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["number", "yes/no", "text"]
Value = int | float | bool | str | None

HEALTHY = "healthy"

NAMES: dict[str, Kind] = {
    "renewal_within_days": "number",
    "onboarding_completed": "yes/no",
    "open_support_issues": "number",
    "resolved_support_issues": "number",
    "unresolved_promises": "number",
    "usage": "text",
    "expansion_interest": "yes/no",
}

_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ORDERING = {"<", "<=", ">", ">="}
_WORDS = {"and", "or", "not", "true", "false"}

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>\d+(?:\.\d+)?)
      | (?P<text>'[^']*'|"[^"]*")
      | (?P<op>==|!=|<=|>=|<|>|\(|\))
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


class RuleError(ValueError):
    """A condition that cannot be read; the message says where and why."""


@dataclass(frozen=True)
class _Token:
    kind: str  # number, text, op, name, word, end
    text: str
    column: int  # 1-based, as a person counts


def _tokens(source: str) -> list[_Token]:
    found: list[_Token] = []
    position = 0
    while position < len(source):
        if source[position:].strip() == "":
            break
        match = _TOKEN.match(source, position)
        if match is None or match.end() == position:
            column = position + len(source[position:]) - len(source[position:].lstrip())
            hint = "; compare with ==" if source[column] == "=" else ""
            raise RuleError(
                f"cannot read {source[column : column + 12]!r} at column"
                f" {column + 1}{hint}"
            )
        kind = match.lastgroup or "op"
        text, column = match.group(kind), match.start(kind) + 1
        if kind == "name" and text in _WORDS:
            kind = "word"
        found.append(_Token(kind, text, column))
        position = match.end()
    found.append(_Token("end", "", len(source) + 1))
    return found


# The parsed condition: small nodes that evaluate against one account's facts.


@dataclass(frozen=True)
class _Literal:
    value: Value
    kind: Kind

    def __call__(self, facts: Mapping[str, Value]) -> Value:
        return self.value


@dataclass(frozen=True)
class _Name:
    name: str
    kind: Kind

    def __call__(self, facts: Mapping[str, Value]) -> Value:
        return facts.get(self.name)


@dataclass(frozen=True)
class _Compare:
    left: _Node
    op: str
    right: _Node
    kind: Kind = "yes/no"

    def __call__(self, facts: Mapping[str, Value]) -> Value:
        left, right = self.left(facts), self.right(facts)
        if left is None or right is None:
            return False
        return bool(_COMPARE[self.op](left, right))


@dataclass(frozen=True)
class _Not:
    operand: _Node
    kind: Kind = "yes/no"

    def __call__(self, facts: Mapping[str, Value]) -> Value:
        return not self.operand(facts)


@dataclass(frozen=True)
class _Both:
    parts: tuple[_Node, ...]
    any_of: bool  # "or" when true, "and" when false
    kind: Kind = "yes/no"

    def __call__(self, facts: Mapping[str, Value]) -> Value:
        test = any if self.any_of else all
        return test(bool(part(facts)) for part in self.parts)


_Node = _Literal | _Name | _Compare | _Not | _Both


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = _tokens(source)
        self.at = 0

    @property
    def next(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def parse(self) -> _Node:
        if self.next.kind == "end":
            raise RuleError("the condition is empty")
        node = self.either()
        if self.next.kind != "end":
            raise RuleError(
                f"unexpected {self.next.text!r} at column {self.next.column}"
            )
        return _condition(node, "the whole condition")

    def either(self) -> _Node:
        parts = [self.both()]
        while self.next.kind == "word" and self.next.text == "or":
            token = self.take()
            parts.append(self.both())
            _check_all_conditions(parts, token)
        return parts[0] if len(parts) == 1 else _Both(tuple(parts), any_of=True)

    def both(self) -> _Node:
        parts = [self.negation()]
        while self.next.kind == "word" and self.next.text == "and":
            token = self.take()
            parts.append(self.negation())
            _check_all_conditions(parts, token)
        return parts[0] if len(parts) == 1 else _Both(tuple(parts), any_of=False)

    def negation(self) -> _Node:
        if self.next.kind == "word" and self.next.text == "not":
            token = self.take()
            operand = self.negation()
            return _Not(_condition(operand, f"'not' at column {token.column}"))
        return self.comparison()

    def comparison(self) -> _Node:
        left = self.operand()
        if self.next.kind != "op" or self.next.text not in _COMPARE:
            return left
        token = self.take()
        right = self.operand()
        where = f"{token.text!r} at column {token.column}"
        if left.kind != right.kind:
            raise RuleError(f"{where} compares a {left.kind} with a {right.kind}")
        if token.text in _ORDERING and left.kind != "number":
            raise RuleError(f"{where} orders {left.kind} values; use == or !=")
        return _Compare(left, token.text, right)

    def operand(self) -> _Node:
        token = self.take()
        if token.kind == "number":
            number = float(token.text) if "." in token.text else int(token.text)
            return _Literal(number, "number")
        if token.kind == "text":
            return _Literal(token.text[1:-1], "text")
        if token.kind == "word" and token.text in ("true", "false"):
            return _Literal(token.text == "true", "yes/no")
        if token.kind == "name":
            kind = NAMES.get(token.text)
            if kind is None:
                known = ", ".join(NAMES)
                raise RuleError(
                    f"unknown name {token.text!r} at column {token.column};"
                    f" known names: {known}"
                )
            return _Name(token.text, kind)
        if token.kind == "op" and token.text == "(":
            inner = self.either()
            closing = self.take()
            if closing.text != ")":
                raise RuleError(f"the '(' at column {token.column} is never closed")
            return inner
        if token.kind == "end":
            raise RuleError("the condition ends too early")
        raise RuleError(f"unexpected {token.text!r} at column {token.column}")


def _condition(node: _Node, where: str) -> _Node:
    if node.kind != "yes/no":
        example = "a comparison"
        if isinstance(node, _Name):
            example = node.name + (" > 0" if node.kind == "number" else " == 'low'")
        raise RuleError(f"{where} is a {node.kind}, not a condition (write {example})")
    return node


def _check_all_conditions(parts: list[_Node], token: _Token) -> None:
    for part in parts:
        _condition(part, f"a side of {token.text!r} at column {token.column}")


@dataclass(frozen=True)
class Condition:
    """A parsed ``when``: call it with an account's facts."""

    source: str
    _root: _Node

    def __call__(self, facts: Mapping[str, Value]) -> bool:
        return bool(self._root(facts))


def parse_condition(source: str) -> Condition:
    """Parse a ``when`` condition, or raise ``RuleError`` saying what is
    wrong and at which column."""
    return Condition(source, _Parser(source).parse())


@dataclass(frozen=True)
class Health:
    """An account's status and the rule that gave it (none when healthy)."""

    status: str
    because: str | None = None


def health(
    rules: Sequence[tuple[str, Condition]], facts: Mapping[str, Value]
) -> Health:
    """The status of the first rule whose condition holds, else healthy."""
    for status, condition in rules:
        if condition(facts):
            return Health(status, condition.source)
    return Health(HEALTHY)
