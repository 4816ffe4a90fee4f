"""Starting the Textual app: the one place where the CLI reaches ``screens``."""

from __future__ import annotations

import sys

import typer

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
            demo = str(ensure_demo_copy())
            ws = open_workspace(demo, opts.user or demo_user(), check=False)
        else:
            ws = open_workspace(opts.db, opts.user, check=False)
        introduce(ws)
        # Every screen reads the process in a worker, where a broken file
        # would only leave an empty inbox and a report that never comes:
        # refuse here, with the line ``crm rules check`` gives.
        ws.process  # noqa: B018

    from screens.app import CrmApp

    app = CrmApp(ws)
    app.run()
    if app.refusal is not None:
        # The file turned out damaged after the inbox opened: the app has
        # closed; say why as any other command would.
        typer.echo(f"crm: {app.refusal}", err=True)
        sys.exit(1)
