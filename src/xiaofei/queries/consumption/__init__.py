"""Reads of the consumption projection (``rm_consumption``): ``lists`` (certifications, sellers, products, the
catalogue, orders, uploads, flags), ``sales`` (recognised sales, revenue-share pools, reserved-share progress) and
``linkage`` (what sellers owe, what linkage brought each household)."""
