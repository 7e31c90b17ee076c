"""Product search behind one port, with database, OpenSearch and Elasticsearch backends."""
