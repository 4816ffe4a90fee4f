"""Reports: figures a manager trusts, computed from the tables and the event
log. ``metrics`` holds the pure arithmetic, ``facts`` the queries that feed
it, and ``report`` puts the two together for the CLI and the screen alike."""
