"""The one owner of the database: the engine (``database``: connection, transactions, files),
the schema of every table and its migrations (``schema``), and one repository per area
(``incidents``, ``escalations``, ``outbox``). SQLite today; another engine (PostgreSQL) sits
beside ``SqliteDatabase`` behind the ``Database`` Protocol the repositories use.

No SQL is written outside this package (``tests/store/test_sql_stays_here.py`` keeps it so),
with one exception: ``sitewatch.simulator.responder`` fills the simulated fleet's SQLite file.
That file is snmpsim's agent data, in the table format snmpsim's ``sql`` variation module reads,
rebuilt from scratch on every start and never migrated; it is not sitewatch's database, and
owning it here would tie the store to the simulator's test double.
"""
