"""On-call rosters: who is on duty when (``schedule``), the checks run at config load
(``checks``), the iCalendar export (``ics``), and the views the CLI and API share (``view``)."""
