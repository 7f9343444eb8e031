"""Read side: one module per read model, each a ``Projection`` whose view is a ``PostgresTrackingRecorder``."""
