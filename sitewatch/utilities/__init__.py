"""Requests to the utilities for priority restoration of supply (ưu tiên cấp điện, nước).

The pure core, with the time passed in: nothing here stores, sends or reads a clock.

- ``model``     what a site's supply looks like now (``SiteState``) and a due request
- ``rules``     when a site's power or water request falls due, or None
- ``directory`` which contact of the utility takes a site's request at a given time
- ``grouping``  sites of one contact and feeder become one request, ordered by urgency;
  later sites join it as an update, restored sites leave it (partial restoration)
- ``forecast``  sites whose battery runs out before the utility restores supply, in order
- ``reference`` request numbers: prefix-YYYYMMDD-sequence
- ``content``   the request as email (text, HTML, CSV of the sites), SMS and JSON, vi/en

What the next step wires (on the outbox and the ``store`` package): the evaluator builds a
``SiteState`` per site from the fleet snapshot and asks ``rules`` each poll; due sites go
through ``grouping`` against the open requests kept in the store; ``content`` renders for the
contact ``directory`` picks, and the outbox sends it (email, SMS, webhook) and escalates to the
contact's ``escalate_to`` when unanswered; the utility's answer (an ETA through the API/CLI)
feeds ``forecast``, whose sites become the ``depletes_before_restoration`` condition.
"""
