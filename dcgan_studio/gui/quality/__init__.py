"""The Quality tab: sample-quality scores of G while it trains, and the nearest real images."""
