"""Policy parameters, presets, and the pure arithmetic of entitlements and rounding."""
