"""Consumption (消费帮扶): one module per concept."""
