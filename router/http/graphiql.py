"""GraphiQL for browsers at GET /graphql, served entirely from this package.

The page loads React, ReactDOM and GraphiQL (3.8 UMD builds, see
`static/THIRD_PARTY.txt`) from `static/` under the app's own root path: no
CDN, so it works on a machine with no internet. Its docs explorer reads the
schema through introspection of the API schema.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
ASSETS_PREFIX = "/graphiql"

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>shopgraph - GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{assets}/graphiql.min.css">
<style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
</head>
<body>
<div id="graphiql" data-endpoint="{endpoint}">Loading GraphiQL...</div>
<script src="{assets}/react.production.min.js"></script>
<script src="{assets}/react-dom.production.min.js"></script>
<script src="{assets}/graphiql.min.js"></script>
<script src="{assets}/graphiql-start.js"></script>
</body>
</html>
"""


def graphiql_page(root_path: str, endpoint: str) -> str:
    """The page, with asset and endpoint URLs under the app's mount point."""
    root = root_path.rstrip("/")
    return _PAGE.format(assets=escape(root + ASSETS_PREFIX), endpoint=escape(root + endpoint))
