"""Every stage and important term with its plain-language definition, as
``process.toml`` gives it, so that "qualified" means one thing to everyone."""

from __future__ import annotations

from dataclasses import dataclass

from crm_tui.process import Process
from crm_tui.rules.gate_fields import GATE_FIELDS


@dataclass(frozen=True)
class Definition:
    kind: str  # stage, term, qualification, bucket, disqualify reason, lost reason
    key: str
    name: str
    text: str


def _label(name: str) -> str:
    # A deal field reads as the forms that ask for it name it ("Next
    # meeting", not next_meeting_at), so the glossary and the form agree.
    spec = GATE_FIELDS.get(name)
    return spec.label if spec is not None else name.replace("_", " ")


def definitions(process: Process) -> list[Definition]:
    """The team's glossary, stages first, in the order the file gives them."""
    found: list[Definition] = []
    for stage in process.stages:
        text = stage.definition
        if stage.requires:
            text += f" To enter: {', '.join(_label(n) for n in stage.requires)}."
        found.append(Definition("stage", stage.key, stage.name, text.strip()))
    for key, text in process.definitions.items():
        found.append(Definition("term", key, _label(key), text))
    for dimension in process.qualification.dimensions:
        text = f"{dimension.definition} ({' / '.join(dimension.choices)})"
        found.append(
            Definition("qualification", dimension.key, dimension.label, text.strip())
        )
    for bucket in process.qualification.buckets:
        found.append(Definition("bucket", bucket.key, bucket.label, bucket.definition))
    for reason in process.qualification.disqualify_reasons:
        found.append(
            Definition("disqualify reason", reason.key, reason.label, reason.definition)
        )
    for reason in process.lost_reasons:
        found.append(
            Definition("lost reason", reason.key, reason.label, reason.definition)
        )
    return found
