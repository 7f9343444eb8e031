"""xiaofei: event-sourced bookkeeping for consumption (消费帮扶) and employment (就业帮扶) assistance."""

__version__ = "0.1.0"
