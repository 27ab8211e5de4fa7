"""Events: stream records → events → the change feed and signed webhook deliveries."""
