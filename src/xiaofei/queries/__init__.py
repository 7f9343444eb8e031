"""Async reads over the projection tables (asyncpg), returning msgspec Structs."""
