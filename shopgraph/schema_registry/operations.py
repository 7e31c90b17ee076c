"""Trusted documents: the operations clients may send, kept in `operations/CLIENT/*.graphql`.

Each file is one document; its id is `sha256:` and the SHA-256 of the file's
text, the GraphQL Trusted Documents convention, so a client can compute the id
from the text it ships. A client's version is the first line of
`operations/CLIENT/VERSION` (absent: "unversioned"). `manifest.json` lists
every document with its hash, client, version and body.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    validate,
)

MANIFEST_FORMAT = "graphql-trusted-documents"
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class TrustedDocument:
    client: str
    client_version: str
    path: Path
    body: str

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.body.encode()).hexdigest()

    @property
    def id(self) -> str:
        return f"sha256:{self.hash}"

    @property
    def name(self) -> str:
        """The first named operation of the document, else the file's stem."""
        try:
            document = parse(self.body)
        except GraphQLError:
            return self.path.stem
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name:
                return definition.name.value
        return self.path.stem


@dataclass(frozen=True)
class DocumentProblem:
    document: TrustedDocument
    message: str
    line: int
    column: int


def load_documents(folder: Path) -> list[TrustedDocument]:
    """Every trusted document under `folder`, by client then file name."""
    if not folder.is_dir():
        return []
    documents: list[TrustedDocument] = []
    for client_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        version_file = client_dir / "VERSION"
        version = (
            version_file.read_text().strip().splitlines()[0]
            if version_file.is_file() and version_file.read_text().strip()
            else "unversioned"
        )
        for path in sorted(client_dir.glob("*.graphql")):
            documents.append(TrustedDocument(client_dir.name, version, path, path.read_text()))
    return documents


def build_manifest(documents: list[TrustedDocument]) -> dict[str, Any]:
    return {
        "format": MANIFEST_FORMAT,
        "version": 1,
        "documents": [
            {
                "id": d.id,
                "hash": d.hash,
                "client": {"name": d.client, "version": d.client_version},
                "name": d.name,
                "body": d.body,
            }
            for d in documents
        ],
    }


def write_manifest(folder: Path, documents: list[TrustedDocument]) -> Path:
    path = folder / MANIFEST_NAME
    path.write_bytes(orjson.dumps(build_manifest(documents), option=orjson.OPT_INDENT_2) + b"\n")
    return path


def parse_document(document: TrustedDocument) -> DocumentNode | DocumentProblem:
    try:
        return parse(document.body)
    except GraphQLError as error:
        line, column = _position(error)
        return DocumentProblem(document, error.message, line, column)


def validate_documents(
    schema: GraphQLSchema, documents: list[TrustedDocument]
) -> list[DocumentProblem]:
    """Every reason a document would be refused by a router serving `schema`."""
    problems: list[DocumentProblem] = []
    for document in documents:
        parsed = parse_document(document)
        if isinstance(parsed, DocumentProblem):
            problems.append(parsed)
            continue
        for error in validate(schema, parsed):
            line, column = _position(error)
            problems.append(DocumentProblem(document, error.message, line, column))
    return problems


def _position(error: GraphQLError) -> tuple[int, int]:
    if error.locations:
        return error.locations[0].line, error.locations[0].column
    return 1, 1
