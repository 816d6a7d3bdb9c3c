"""Order books of one interval: new orders and their validation, the call-auction book, continuous
trading, the cleared result."""
