"""Plain data and small helpers every layer shares, importing nothing else of sitewatch.

``model`` (readings, poll results), ``conditions`` (what evaluation finds: conditions,
severities, summaries, transitions), ``incident`` (an incident and its timeline), ``errors``,
``clock`` (the injected clock), ``contacts`` (what a dry contact can mean), ``devicetext``
and ``privatefiles``.
"""
