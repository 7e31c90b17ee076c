"""`shopgraph schema check` and `publish` on a registry in a temporary git repository."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
from typer.testing import CliRunner

from shopgraph.cli import app
from shopgraph.registry import SUBGRAPHS
from tests.shopgraph.schema_registry.conftest import ROOT, edited, git

runner = CliRunner()


def run(repo: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args[:2], "--registry", str(repo / "schema"), *args[2:]])
    return result.exit_code, result.output


def registry_files(repo: Path) -> dict[str, str]:
    root = repo / "schema"
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def test_the_code_matches_the_published_registry() -> None:
    result = runner.invoke(
        app, ["schema", "check", "--registry", str(ROOT / "schema"), "--fail-on-unpublished"]
    )
    assert (result.exit_code, result.output.splitlines()[-2:]) == (
        0,
        ["no changes", "check passed"],
    )


def test_a_safe_change_passes(repo: Path) -> None:
    sdl = edited(repo, "catalog", "  slug: String!\n", "  slug: String!\n  color: String\n")
    code, out = run(repo, "schema", "check", "--subgraph", "catalog", "--sdl", str(sdl))
    assert code == 0
    assert out.splitlines() == [
        "changed subgraphs: catalog",
        "SAFE FIELD_ADDED at Category.color: Field Category.color was added",
        "note: no usage log configured: trusted documents alone decide",
        "check passed",
    ]


def test_a_breaking_change_used_by_a_trusted_document_fails(repo: Path) -> None:
    sdl = edited(repo, "catalog", "  slug: String!\n", "")
    code, out = run(
        repo, "schema", "check", "--subgraph", "catalog", "--sdl", str(sdl), "--format", "json"
    )
    assert code == 1
    report = orjson.loads(out)
    assert report["passed"] is False
    assert report["changes"] == [
        {
            "criticality": "BREAKING",
            "code": "FIELD_REMOVED",
            "coordinate": "Category.slug",
            "message": "Field Category.slug was removed",
            "affectedOperations": [
                {"client": "storefront", "operation": name, "source": "trusted document"}
                for name in ("Categories", "Product", "Products")
            ],
            "approval": None,
            "fails": True,
        }
    ]
    assert [
        (e["file"].split("schema/")[1], e["line"], e["column"]) for e in report["documentErrors"]
    ] == [
        ("operations/storefront/Categories.graphql", 2, 24),
        ("operations/storefront/Product.graphql", 9, 24),
        ("operations/storefront/Products.graphql", 5, 81),
    ]


def test_a_breaking_change_no_operation_uses_passes(repo: Path) -> None:
    # Payment.createdAt: no trusted document selects it.
    sdl = edited(
        repo, "commerce", "  cardLast4: String!\n  createdAt: DateTime!\n", "  cardLast4: String!\n"
    )
    code, out = run(repo, "schema", "check", "--subgraph", "commerce", "--sdl", str(sdl))
    assert code == 0
    assert (
        "BREAKING FIELD_REMOVED at Payment.createdAt: Field Payment.createdAt was removed;"
        " no known operation uses it"
    ) in out.splitlines()


def test_github_annotations_point_at_the_sdl_line(repo: Path) -> None:
    sdl = edited(repo, "catalog", "  slug: String!\n", "  slug: Int!\n")
    code, out = run(
        repo, "schema", "check", "--subgraph", "catalog", "--sdl", str(sdl), "--format", "github"
    )
    assert code == 1
    line = _line_of(sdl, "  slug: Int!")
    first = out.splitlines()[0]
    assert first.startswith(
        f"::error file={sdl},line={line},col=3::BREAKING FIELD_TYPE_CHANGED at Category.slug"
    )


def test_an_approved_breaking_change_passes_and_is_in_the_changelog(repo: Path) -> None:
    sdl = edited(repo, "catalog", "  slug: String!\n", "")
    (repo / "schema" / "approvals.yaml").write_text(
        "- coordinate: Category.slug\n  reason: slugs moved to the storefront\n  approved_by: maria\n"
    )
    code, out = run(repo, "schema", "check", "--subgraph", "catalog", "--sdl", str(sdl))
    assert code == 0, out
    code, out = run(repo, "schema", "publish", "--subgraph", "catalog", "--sdl", str(sdl))
    assert code == 0, out
    changelog = (repo / "schema" / "CHANGELOG.md").read_text().split("\n## ")
    assert changelog[1].splitlines()[1:] == [
        "",
        "- BREAKING `Category.slug` (FIELD_REMOVED): Field Category.slug was removed;"
        " approved by maria: slugs moved to the storefront",
    ]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC: catalog", changelog[1].splitlines()[0])
    assert git(repo, "status", "--porcelain").split() == [
        "M",
        "schema/CHANGELOG.md",
        "M",
        "schema/subgraphs/catalog.graphql",
        "M",
        "schema/supergraph.graphql",
        "??",
        "catalog.proposed.graphql",
        "??",
        "schema/approvals.yaml",
    ]
    assert (
        "slug"
        not in (repo / "schema" / "supergraph.graphql")
        .read_text()
        .split("type Category")[1]
        .split("}")[0]
    )


def test_publish_is_idempotent(repo: Path) -> None:
    sdl = edited(repo, "catalog", "  slug: String!\n", "  slug: String!\n  color: String\n")
    assert run(repo, "schema", "publish", "--subgraph", "catalog", "--sdl", str(sdl))[0] == 0
    after_first = registry_files(repo)
    code, out = run(repo, "schema", "publish", "--subgraph", "catalog", "--sdl", str(sdl))
    assert (code, out.splitlines()[-1]) == (0, f"unchanged: {repo / 'schema'}")
    assert registry_files(repo) == after_first


def test_a_publish_that_breaks_composition_is_refused_and_changes_nothing(repo: Path) -> None:
    before = registry_files(repo)
    sdl = edited(
        repo, "commerce", 'type Product @key(fields: "id"', 'type Product @key(fields: "sku"'
    )
    code, out = run(
        repo, "schema", "publish", "--subgraph", "commerce", "--sdl", str(sdl), "--force"
    )
    assert code == 1
    assert "composition error KEY_INVALID_FIELDS at Product [commerce]" in out
    assert "publish refused: the registry is unchanged" in out
    assert registry_files(repo) == before


def test_a_check_failure_refuses_publish_unless_forced(repo: Path) -> None:
    before = registry_files(repo)
    sdl = edited(repo, "catalog", "  slug: String!\n", "")
    assert run(repo, "schema", "publish", "--subgraph", "catalog", "--sdl", str(sdl))[0] == 1
    assert registry_files(repo) == before
    code, _ = run(repo, "schema", "publish", "--subgraph", "catalog", "--sdl", str(sdl), "--force")
    assert code == 0
    entry = (repo / "schema" / "CHANGELOG.md").read_text().split("\n## ")[1]
    assert "Published with --force although the check failed." in entry


def test_a_malformed_sdl_is_reported_with_line_and_column(repo: Path) -> None:
    bad = repo / "bad.graphql"
    bad.write_text("type Query {\n  a: Int\n  b(: Int\n}\n")
    code, out = run(
        repo, "schema", "check", "--subgraph", "catalog", "--sdl", str(bad), "--format", "github"
    )
    assert code == 1
    assert out.splitlines()[:1] == [
        f"::error file={bad},line=3,col=5::Syntax Error: Expected Name, found ':'."
    ]
    code, out = run(repo, "schema", "check", "--subgraph", "catalog", "--sdl", str(bad))
    assert (code, out.splitlines()) == (
        1,
        [
            "changed subgraphs: catalog",
            f"SDL error in catalog ({bad}:3:5): Syntax Error: Expected Name, found ':'.",
            "    b(: Int",
            "      ^",
            "check FAILED",
        ],
    )


def test_an_sdl_that_parses_but_names_an_unknown_type_is_placed_too(repo: Path) -> None:
    sdl = edited(repo, "catalog", "  slug: String!\n", "  slug: Slug!\n")
    line = _line_of(sdl, "  slug: Slug!")
    code, out = run(repo, "schema", "check", "--subgraph", "catalog", "--sdl", str(sdl))
    assert (code, out.splitlines()) == (
        1,
        [
            "changed subgraphs: catalog",
            "composition error INVALID_GRAPHQL [catalog]: [catalog] Unknown type 'Slug'."
            f" ({sdl}:{line}:9)",
            "    slug: Slug!",
            "          ^",
            "check FAILED",
        ],
    )
    code, out = run(
        repo, "schema", "check", "--subgraph", "catalog", "--sdl", str(sdl), "--format", "github"
    )
    assert out.splitlines()[0] == (
        f"::error file={sdl},line={line},col=9::INVALID_GRAPHQL: [catalog] Unknown type 'Slug'."
    )


def test_usage_errors_exit_with_2(repo: Path) -> None:
    sdl = edited(repo, "catalog", "slug", "slug")
    code, out = run(repo, "schema", "check", "--subgraph", "reviews", "--sdl", str(sdl))
    known = ", ".join(sorted(SUBGRAPHS))
    assert (code, out.strip()) == (
        2,
        f"error: unknown subgraph 'reviews'; known subgraphs: {known}",
    )
    code, out = run(repo, "schema", "check", "--subgraph", "catalog")
    assert (code, out.strip()) == (2, "error: --subgraph and --sdl go together")
    result = runner.invoke(app, ["schema", "check", "--registry", "http://127.0.0.1:9/"])
    assert (result.exit_code, result.output) == (
        2,
        "error: registry unreachable: http://127.0.0.1:9: Connection refused\n",
    )


def test_a_registry_that_is_not_there_says_what_to_pass(tmp_path: Path) -> None:
    missing = tmp_path / "schema"
    result = runner.invoke(app, ["schema", "check", "--registry", str(missing)])
    assert (result.exit_code, result.output) == (
        2,
        f"error: no registry directory at '{missing}': run from the project's root, or pass "
        "--registry DIR (the git registry) or --registry http(s)://HOST:PORT\n",
    )
    result = runner.invoke(app, ["schema", "publish", "--registry", "ftp://registry"])
    assert (result.exit_code, result.output) == (
        2,
        "error: unsupported registry 'ftp://registry': pass a directory (the git registry, "
        "default schema) or the http(s):// URL of `shopgraph registry serve`\n",
    )


def test_without_sdl_annotations_point_at_the_published_file(repo: Path) -> None:
    # Publish a field the code does not have: checking the code then removes it.
    sdl = edited(repo, "catalog", "  slug: String!\n", "  slug: String!\n  legacy: String\n")
    assert run(repo, "schema", "publish", "--subgraph", "catalog", "--sdl", str(sdl))[0] == 0
    code, out = run(repo, "schema", "check", "--format", "github")
    published = repo / "schema" / "subgraphs" / "catalog.graphql"
    assert code == 0
    line = _line_of(published, "  legacy: String")
    assert out.splitlines()[0] == (
        f"::warning file={published},line={line},col=3::BREAKING FIELD_REMOVED at Category.legacy:"
        " Field Category.legacy was removed; no known operation uses it"
    )


def _line_of(sdl: Path, text: str) -> int:
    """The 1-based line of `text` in the file, where an annotation must point."""
    return sdl.read_text().splitlines().index(text) + 1


def test_ci_fails_while_a_subgraph_change_is_not_published(repo: Path) -> None:
    """`.ci/run`'s check: the registry holds a field the code does not (as when the code
    changed and nobody published). The change itself passes; CI fails until publish."""
    sdl = edited(repo, "catalog", "  slug: String!\n", "  slug: String!\n  color: String\n")
    assert run(repo, "schema", "publish", "--subgraph", "catalog", "--sdl", str(sdl))[0] == 0
    code, out = run(repo, "schema", "check", "--fail-on-unpublished")
    assert code == 1
    assert out.splitlines()[-2:] == [
        "check passed",
        f"subgraphs not published to {repo / 'schema'}: catalog; run `shopgraph schema publish`",
    ]
    assert run(repo, "schema", "publish")[0] == 0
    code, out = run(repo, "schema", "check", "--fail-on-unpublished")
    assert (code, out.splitlines()[-2:]) == (0, ["no changes", "check passed"])
    entry = (repo / "schema" / "CHANGELOG.md").read_text().split("\n## ")[1]
    assert entry.splitlines()[1:] == [
        "",
        "- BREAKING `Category.color` (FIELD_REMOVED): Field Category.color was removed",
    ]


def test_approvals_and_documents_that_cannot_be_used_are_usage_errors(repo: Path) -> None:
    approvals = repo / "schema" / "approvals.yaml"
    approvals.write_text(
        "- coordinate: Category.slug\n  reason: moved\n  approved_by: maria\n"
        "- coordinate: Category.name\n  reason: renamed\n  approved_by: maria\n"
        "  code: FIELD_REMOVD\n"
    )
    code, out = run(repo, "schema", "check")
    assert (code, out) == (
        2,
        f"error: {approvals}:4: approval 2: unknown change code 'FIELD_REMOVD'\n",
    )
    approvals.write_text("- coordinate: Category.slug\n  reason: moved\n")
    code, out = run(repo, "schema", "check")
    assert (code, out) == (
        2,
        f"error: {approvals}:1: approval 1 needs the strings coordinate, reason and approved_by\n",
    )
    approvals.unlink()
    code, out = run(repo, "schema", "check", "--approvals", str(approvals))
    assert (code, out) == (2, f"error: no approvals file at {approvals}\n")
    missing = repo / "operations"
    code, out = run(repo, "schema", "check", "--operations", str(missing))
    assert (code, out) == (2, f"error: no trusted documents folder at {missing}\n")
