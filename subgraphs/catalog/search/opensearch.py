"""Search on OpenSearch through opensearch-py's async client; the DSL lives in `dsl`.

`refresh=True` makes every write visible to the next search (tests, small
tools); left False, writes show up with the index's next periodic refresh.
"""

from __future__ import annotations

from collections.abc import Sequence

from opensearchpy import AsyncOpenSearch
from opensearchpy.exceptions import RequestError

from subgraphs.catalog.search import dsl
from subgraphs.catalog.search.port import SearchDocument, SearchPage, SearchQuery


class OpenSearchSearch:
    def __init__(self, url: str, index: str = "products", *, refresh: bool = False) -> None:
        self._client = AsyncOpenSearch(hosts=[url])
        self._index = index
        self._params = {"refresh": "true"} if refresh else {}

    async def start(self) -> None:
        if await self._client.indices.exists(index=self._index):
            return
        try:
            await self._client.indices.create(index=self._index, body=dsl.INDEX)
        except RequestError as error:
            # Another process created it between the check and the create.
            if error.error != "resource_already_exists_exception":
                raise

    async def index(self, documents: Sequence[SearchDocument]) -> None:
        latest = list({document.id: document for document in documents}.values())
        for start in range(0, len(latest), dsl.BULK_CHUNK):
            chunk = latest[start : start + dsl.BULK_CHUNK]
            actions = dsl.bulk_upserts(self._index, chunk)
            dsl.check_bulk(await self._client.bulk(body=actions, params=self._params))

    async def delete(self, ids: Sequence[str]) -> None:
        distinct = list(dict.fromkeys(ids))
        for start in range(0, len(distinct), dsl.BULK_CHUNK):
            actions = dsl.bulk_deletes(self._index, distinct[start : start + dsl.BULK_CHUNK])
            dsl.check_bulk(await self._client.bulk(body=actions, params=self._params))

    async def clear(self) -> None:
        await self._client.delete_by_query(
            index=self._index,
            body={"query": dsl.MATCH_ALL},
            params={"conflicts": "proceed", **self._params},
        )

    async def search(self, query: SearchQuery) -> SearchPage:
        request = dsl.search_request(query)
        response = None
        if request.body is not None:
            response = await self._client.search(index=self._index, body=request.body)
        return dsl.search_page(request, response)

    async def close(self) -> None:
        await self._client.close()
