"""Analytics: facts taken from events, the `AnalyticsStore` port and its stores, the sink."""
