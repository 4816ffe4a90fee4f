"""The deal fields a stage gate can ask for, by the names ``process.toml``
uses in ``requires`` and ``leave_requires_any``.

Apart from the stage rules so that the process file's own check can refuse
a name no deal has when the file is read, not at the first move it blocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FieldKind = Literal["money", "date", "datetime", "choice", "text"]


@dataclass(frozen=True)
class GateField:
    """A deal field a stage gate can ask for, and how a person enters it."""

    name: str
    label: str
    kind: FieldKind
    hint: str = ""


GATE_FIELDS: dict[str, GateField] = {
    f.name: f
    for f in (
        GateField("amount", "Amount", "money", "e.g. 12500"),
        GateField("close_on", "Close date", "date", "YYYY-MM-DD"),
        GateField("decision_on", "Decision date", "date", "YYYY-MM-DD"),
        GateField(
            "next_meeting_at", "Next meeting", "datetime", "YYYY-MM-DD HH:MM, ahead"
        ),
        GateField("lost_reason", "Lost reason", "choice"),
        GateField("lost_note", "Note on why it was lost", "text"),
    )
}

# The one alternative a leave gate can name that is not a deal field: a deal
# leaving disqualified goes to closed lost, whose own gate asks the reason.
DISQUALIFY = "disqualify_reason"
