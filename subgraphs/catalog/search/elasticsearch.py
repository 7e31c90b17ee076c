"""Search on Elasticsearch through the official async client; the DSL lives in `dsl`.

The client refuses OpenSearch servers, so the body it sends is the one
`opensearch` sends, tested there. The 9.x client speaks to Elasticsearch 9
only (an 8.x server answers "Invalid media-type"); the calls made here exist
unchanged in the 8.x client, for an 8.x server. `refresh=True` makes every
write visible to the next search; left False, writes show up with the next
periodic refresh.
"""

from __future__ import annotations

from collections.abc import Sequence

from elasticsearch import AsyncElasticsearch, BadRequestError

from subgraphs.catalog.search import dsl
from subgraphs.catalog.search.port import SearchDocument, SearchPage, SearchQuery


class ElasticsearchSearch:
    def __init__(self, url: str, index: str = "products", *, refresh: bool = False) -> None:
        self._client = AsyncElasticsearch(url)
        self._index = index
        self._refresh = True if refresh else None

    async def start(self) -> None:
        if await self._client.indices.exists(index=self._index):
            return
        try:
            await self._client.indices.create(
                index=self._index,
                settings=dsl.INDEX["settings"],
                mappings=dsl.INDEX["mappings"],
            )
        except BadRequestError as error:
            # Another process created it between the check and the create.
            if error.error != "resource_already_exists_exception":
                raise

    async def index(self, documents: Sequence[SearchDocument]) -> None:
        latest = list({document.id: document for document in documents}.values())
        for start in range(0, len(latest), dsl.BULK_CHUNK):
            actions = dsl.bulk_upserts(self._index, latest[start : start + dsl.BULK_CHUNK])
            response = await self._client.bulk(operations=actions, refresh=self._refresh)
            dsl.check_bulk(response.body)

    async def delete(self, ids: Sequence[str]) -> None:
        distinct = list(dict.fromkeys(ids))
        for start in range(0, len(distinct), dsl.BULK_CHUNK):
            actions = dsl.bulk_deletes(self._index, distinct[start : start + dsl.BULK_CHUNK])
            response = await self._client.bulk(operations=actions, refresh=self._refresh)
            dsl.check_bulk(response.body)

    async def clear(self) -> None:
        await self._client.delete_by_query(
            index=self._index,
            query=dsl.MATCH_ALL,
            conflicts="proceed",
            refresh=self._refresh,
        )

    async def search(self, query: SearchQuery) -> SearchPage:
        request = dsl.search_request(query)
        response = None
        if request.body is not None:
            # The 8/9 client takes the body's keys as arguments ("_source" and
            # "from" included, as aliases of source and from_).
            found = await self._client.search(index=self._index, **request.body)
            response = found.body
        return dsl.search_page(request, response)

    async def close(self) -> None:
        await self._client.close()
