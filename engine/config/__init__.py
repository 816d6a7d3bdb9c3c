"""The cluster's configuration: the TOML file, members and connection points, the area rule, price
bands, the built-in demo."""
