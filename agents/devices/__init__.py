"""Device models of the simulation: cloudiness, PV, loads, batteries."""
