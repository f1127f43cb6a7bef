"""A real database file per test, as the incident tests have it."""

from tests.incidents import conftest as incidents

db_path, store = incidents.db_path, incidents.store
