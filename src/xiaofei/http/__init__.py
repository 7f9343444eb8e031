"""HTTP interface: ``create_app()``, controllers, auth, problem+json errors."""
