"""The deploy stack (``deploy/``): its files checked without Docker, and the processes its
compose file starts, started without Docker."""
