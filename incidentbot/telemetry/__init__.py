"""What a running bot tells its operators: Prometheus metrics and one JSON log line per event.

A leaf package (it imports only core), so the gateway and the doors can both
report to it without pointing upwards.
"""
