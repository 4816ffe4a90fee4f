"""Pure functions over plain values: the process's rules, with no I/O."""
