"""Pure domain: aggregates, their past-tense events, value objects and domain errors.

Imports only the standard library, msgspec (for frozen value objects) and ``eventsourcing.domain``.
"""
