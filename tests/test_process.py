"""The process file: read, checked, and wrong in a way a manager can fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_tui.errors import ProcessError
from crm_tui.process import DEFAULT_PROCESS, load_process


def test_the_default_process_has_the_stages_a_team_expects() -> None:
    process = load_process()
    assert [s.name for s in process.stages] == [
        "Contacted",
        "Discovery scheduled",
        "Qualified opportunity",
        "Proposal sent",
        "Negotiation",
        "Nurture",
        "Closed won",
        "Closed lost",
    ]
    assert process.stage("proposal sent").requires == ["amount"]
    assert all(s.definition for s in process.stages)
    assert len(process.handoff.checklist) == 9


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("stalled_after_days = 7", "stalled_afterdays = 7"), "stalled_afterdays"),
        (('time_zone = "America/New_York"', 'time_zone = "Mars/Olympus"'), "time zone"),
        (('kind = "date"', 'kind = "datetime"'), "handoff.checklist[1]"),
        (("[team]", "[team"), "not valid TOML"),
    ],
)
def test_a_broken_process_file_is_one_readable_line(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    broken = tmp_path / "process.toml"
    text = DEFAULT_PROCESS.read_text(encoding="utf-8")
    broken.write_text(text.replace(*change, 1), encoding="utf-8")
    with pytest.raises(ProcessError) as problem:
        load_process(broken)
    assert message in str(problem.value)
    assert "\n" not in str(problem.value)
