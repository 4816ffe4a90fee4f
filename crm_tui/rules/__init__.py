"""The CRM process as pure functions over plain values: routing, SLA clocks,
qualification, and the check of a process file. No I/O here, so every rule
is tested with nothing but values and a time."""
