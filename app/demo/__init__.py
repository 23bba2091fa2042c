"""The demo: a local fake of the upstream services, fed with recorded payloads."""
