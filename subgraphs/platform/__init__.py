"""What the five subgraphs share: settings, storage, events, auth, cache and the app factory."""
