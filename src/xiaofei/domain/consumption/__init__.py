"""Consumption (消费帮扶): certified sellers and products, buyers and their reserved shares (预留份额), orders, channel
sales, and the benefit linkage (利益联结) through which part of every sale reaches registered households.

One module per concept: ``certification`` (the workflow sellers and products share), ``sellers``, ``products``,
``buyers``, ``orders``, ``channel`` (sales on other channels), ``linkage`` (what sellers pay households).
"""
