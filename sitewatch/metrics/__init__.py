"""What sitewatch exports to Prometheus about the fleet (``exposition``, rendered from the fleet
snapshot at scrape time) and about itself (``self_metrics``). The incident and escalation
families live beside their areas (``incidents.metrics``, ``escalation.metrics``)."""
