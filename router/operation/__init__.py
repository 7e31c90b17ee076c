"""The operation stage: a client request becomes a prepared, validated operation.

Parsing, limits and validation happen once per document (cached by hash);
selecting the operation and coercing variables happen per request.
"""

from graphql_budget.cost import CostEstimator
from router.operation.cost import CostLimit
from router.operation.documents import DocumentCache, DocumentLimits
from router.operation.errors import RequestError, RequestFailure
from router.operation.lru import LruCache
from router.operation.prepared import PreparedDocument, PreparedOperation
from router.operation.request import GraphQLRequest
from router.operation.variables import coerce_variables

__all__ = [
    "CostEstimator",
    "CostLimit",
    "DocumentCache",
    "DocumentLimits",
    "GraphQLRequest",
    "LruCache",
    "PreparedDocument",
    "PreparedOperation",
    "RequestError",
    "RequestFailure",
    "coerce_variables",
]
