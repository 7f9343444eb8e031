"""Use cases over the one eventsourcing Application (the command side)."""
