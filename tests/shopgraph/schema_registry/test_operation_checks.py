"""Operation checks: a breaking change fails only when an operation uses it, whether a
trusted document or the router's usage log says so; and the trusted documents manifest."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from shopgraph.cli import app
from shopgraph.schema_registry.check import CheckRequest, run_check
from shopgraph.schema_registry.operations import load_documents
from shopgraph.schema_registry.source import published_urls
from shopgraph.schema_registry.store import DirectoryRegistry
from shopgraph.schema_registry.usage import OperationUse, SeenOperation
from tests.shopgraph.schema_registry.conftest import edited

runner = CliRunner()


class FakeUsageLog:
    """A usage log that answers operations seen, with coordinates when it records them."""

    def __init__(self, seen: list[SeenOperation]) -> None:
        self.seen = seen
        self.asked_days: list[int] = []

    def seen_operations(self, days: int) -> list[SeenOperation]:
        self.asked_days.append(days)
        return self.seen


def request(repo: Path, subgraph: str, sdl: Path, **extra: object) -> CheckRequest:
    published = DirectoryRegistry(repo / "schema").read()
    proposed = {**published.subgraphs, subgraph: sdl.read_text()}
    return CheckRequest(published, proposed, published_urls(published), **extra)  # type: ignore[arg-type]


def test_without_usage_a_breaking_change_passes(repo: Path) -> None:
    sdl = edited(repo, "commerce", "  cardLast4: String!\n", "")
    report = run_check(request(repo, "commerce", sdl))
    assert [
        (c.change.coordinate, c.change.breaking, c.operations, c.fails) for c in report.changes
    ] == [("Payment.cardLast4", True, (), False)]
    assert report.passed


def test_usage_from_the_log_makes_it_fail(repo: Path) -> None:
    sdl = edited(repo, "commerce", "  cardLast4: String!\n", "")
    ios = OperationUse("ios", "OrderReceipt", "usage log")
    log = FakeUsageLog(
        [
            SeenOperation("ios", "OrderReceipt", "h1", frozenset({"Payment", "Payment.cardLast4"})),
            SeenOperation("web", "Home", "h2", frozenset({"Query.products"})),
        ]
    )
    report = run_check(request(repo, "commerce", sdl, usage_log=log, usage_days=7))
    assert [(c.change.coordinate, c.operations, c.fails) for c in report.changes] == [
        ("Payment.cardLast4", (ios,), True)
    ]
    assert log.asked_days == [7]
    assert not report.passed


def test_a_logged_operation_is_placed_by_its_trusted_document_hash(repo: Path) -> None:
    sdl = edited(
        repo, "users", '  """Visible to the user and to staff only."""\n  email: String!\n', ""
    )
    documents = tuple(load_documents(repo / "schema" / "operations"))
    me = next(d for d in documents if d.name == "Me")
    log = FakeUsageLog(
        [
            SeenOperation("ios 2.1", "Me", f"sha256:{me.hash}"),
            SeenOperation("ios 2.1", "Adhoc", "f" * 64),
        ]
    )
    report = run_check(request(repo, "users", sdl, documents=documents, usage_log=log))
    assert [
        (c.change.coordinate, [(u.client, u.operation, u.source) for u in c.operations])
        for c in report.changes
    ] == [
        (
            "User.email",
            [
                ("ios 2.1", "Me", "usage log"),
                ("storefront", "Login", "trusted document"),
                ("storefront", "Me", "trusted document"),
                ("storefront", "RefreshToken", "trusted document"),
                ("storefront", "Register", "trusted document"),
                ("storefront", "User", "trusted document"),
            ],
        )
    ]
    assert report.notes == (
        "operations in the usage log without a trusted document, so what they use is "
        "unknown: Adhoc (ios 2.1)",
    )


def test_trusted_documents_decide_when_no_log_is_configured(repo: Path) -> None:
    sdl = edited(
        repo, "users", '  """Visible to the user and to staff only."""\n  email: String!\n', ""
    )
    documents = tuple(load_documents(repo / "schema" / "operations"))
    report = run_check(request(repo, "users", sdl, documents=documents))
    assert [(c.change.coordinate, [u.operation for u in c.operations]) for c in report.changes] == [
        ("User.email", ["Login", "Me", "RefreshToken", "Register", "User"])
    ]
    assert not report.passed
    assert report.notes == ("no usage log configured: trusted documents alone decide",)


def test_an_invalid_trusted_document_fails_the_check_with_its_position(repo: Path) -> None:
    folder = repo / "schema" / "operations" / "storefront"
    (folder / "Broken.graphql").write_text("query Broken {\n  products { nope }\n}\n")
    result = runner.invoke(app, ["schema", "check", "--registry", str(repo / "schema")])
    assert result.exit_code == 1
    assert (
        f"trusted document {folder / 'Broken.graphql'}:2:14: "
        "Cannot query field 'nope' on type 'ProductConnection'."
    ) in result.output.splitlines()
    github = runner.invoke(
        app, ["schema", "check", "--registry", str(repo / "schema"), "--format", "github"]
    )
    assert (github.exit_code, github.output.splitlines()[0]) == (
        1,
        f"::error file={folder / 'Broken.graphql'},line=2,col=14::trusted document: "
        "Cannot query field 'nope' on type 'ProductConnection'.",
    )


def test_operations_build_writes_the_manifest_and_check_spots_a_stale_one(repo: Path) -> None:
    folder = repo / "schema" / "operations"
    build = ["schema", "operations", "build", "--operations", str(folder)]
    assert runner.invoke(app, [*build, "--check"]).exit_code == 0
    (folder / "storefront" / "Hello.graphql").write_text("query Hello { categories { id } }\n")
    assert runner.invoke(app, [*build, "--check"]).exit_code == 1
    assert runner.invoke(app, build).exit_code == 0
    manifest = orjson.loads((folder / "manifest.json").read_bytes())
    hello = [d for d in manifest["documents"] if d["name"] == "Hello"]
    assert hello == [
        {
            "id": "sha256:87697dc17660d9ba1d067c35a95eb3208957f657c5dd530bbbf0aff3579c7dd7",
            "hash": "87697dc17660d9ba1d067c35a95eb3208957f657c5dd530bbbf0aff3579c7dd7",
            "client": {"name": "storefront", "version": "1.0.0"},
            "name": "Hello",
            "body": "query Hello { categories { id } }\n",
        }
    ]
    assert manifest["format"] == "graphql-trusted-documents"
    assert len(manifest["documents"]) == len(list(folder.glob("*/*.graphql")))


def test_the_log_s_field_coordinates_reach_the_types_those_fields_return(repo: Path) -> None:
    """The router records fields and arguments only; a change to a type an operation
    reaches through them (an enum value removed from `User.role`'s `Role`) still counts."""
    sdl = edited(repo, "users", "  STAFF\n", "")
    ios = OperationUse("ios", "Roles", "usage log")
    log = FakeUsageLog(
        [
            SeenOperation("ios", "Roles", "h1", frozenset({"Query.me", "User.role"})),
            SeenOperation("web", "Names", "h2", frozenset({"Query.me", "User.username"})),
        ]
    )
    report = run_check(request(repo, "users", sdl, usage_log=log))
    assert [(c.change.coordinate, c.operations, c.fails) for c in report.changes] == [
        ("Role.STAFF", (ios,), True)
    ]


def test_a_field_that_now_requires_a_token_fails_for_the_documents_that_read_it(
    repo: Path,
) -> None:
    """`@authenticated` is not in the API schema, yet anonymous storefront visitors
    reading the categories would lose them: the check names the document that does."""
    path = repo / "schema" / "subgraphs" / "catalog.graphql"
    text = path.read_text()
    sdl = repo / "catalog.proposed.graphql"
    sdl.write_text(
        text.replace('import: ["@cost"', 'import: ["@authenticated", "@cost"', 1).replace(
            "  categories: [Category!]! @listSize",
            "  categories: [Category!]! @authenticated @listSize",
        )
    )
    documents = tuple(load_documents(repo / "schema" / "operations"))
    report = run_check(request(repo, "catalog", sdl, documents=documents))
    assert [
        (c.change.code, c.change.coordinate, [u.operation for u in c.operations], c.fails)
        for c in report.changes
    ] == [("FIELD_ACCESS_RESTRICTED", "Query.categories", ["Categories"], True)]
    assert report.changes[0].change.message == (
        "Field Query.categories required nothing and now requires @authenticated: "
        "callers who could read it may not any more"
    )
    assert not report.passed
