"""Starting the Textual app: the one place where the CLI reaches ``screens``."""

from __future__ import annotations

from crm_tui.cli.common import (
    Options,
    demo_user,
    ensure_demo_copy,
    fail_cleanly,
    introduce,
)


def run_app(opts: Options) -> None:
    from crm_tui.open import open_workspace

    with fail_cleanly():
        if opts.demo:
            ws = open_workspace(str(ensure_demo_copy()), opts.user or demo_user())
        else:
            ws = open_workspace(opts.db, opts.user)
        introduce(ws)

    from screens.app import CrmApp

    CrmApp(ws).run()
