"""The poll path: ``scheduler`` spreads the sites over the interval, ``poller`` polls one site
through the SNMP clients (``sitewatch.snmp``), ``site_plans`` turns the config into what to ask
each device, and ``fleet_snapshot`` holds the latest result of every site for metrics and the API."""
