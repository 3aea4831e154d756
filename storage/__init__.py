"""The SQLite store: connection, schema migrations, and the queries the rest of peacewatch uses.

Imports nothing else of peacewatch, so crawler and scheduler can both depend on it.
"""
