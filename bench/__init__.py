"""sitewatch's benchmarks: its poll path against prometheus-snmp-exporter, same work, same run.

Run ``python3 bench/run_all.py`` (``make bench``) from the repository root; see README.md here.
"""
