"""The client SDK of the gateway's HTTP API."""
