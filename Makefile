# shopgraph: `make run` starts the whole platform, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install run test lint lock clean fuzz vendor

install: $(INSTALLED)

# Installs exactly the versions in constraints.txt, so two installs a month
# apart get the same packages.
$(INSTALLED): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "shopgraph needs Python 3.11 or newer"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

run: install
	$(BIN)/shopgraph dev

test: install
	$(BIN)/pytest

# The generated-operation suites at full size (CI runs a seeded few hundred).
fuzz: install
	SHOPGRAPH_FUZZ_EXAMPLES=10000 SHOPGRAPH_FUZZ_ROUTER_EXAMPLES=10000 $(BIN)/pytest -q tests/fuzz

# bench/social times with the catalog bench's `timing` module (it adds that folder
# to sys.path, which mypy cannot follow), hence MYPYPATH.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	for dir in bench/*/; do MYPYPATH=bench/catalog $(BIN)/mypy --no-warn-unused-configs "$$dir" || exit 1; done
	$(BIN)/lint-imports

# Resolves the newest versions allowed by pyproject.toml into constraints.txt.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	{ echo "# Every package shopgraph installs, pinned. Regenerate with 'make lock' and commit the result."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable --disable-pip-version-check | grep -v '^-e'; } > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .shopgraph .pytest_cache .mypy_cache .ruff_cache

# Refreshes the storefront's vendored ES modules from npm (needs npm; `make run`
# does not). graphql-ws ships native ES modules, copied as they are.
GRAPHQL_WS_VERSION := 5.16.2
vendor:
	rm -rf .vendor-npm && mkdir .vendor-npm
	cd .vendor-npm && npm install --ignore-scripts --no-audit --no-fund graphql-ws@$(GRAPHQL_WS_VERSION)
	cp .vendor-npm/node_modules/graphql-ws/lib/client.mjs .vendor-npm/node_modules/graphql-ws/lib/common.mjs \
	   .vendor-npm/node_modules/graphql-ws/lib/utils.mjs .vendor-npm/node_modules/graphql-ws/LICENSE.md \
	   shopgraph/storefront/vendor/graphql-ws/
	sed -i 's#^//\# sourceMappingURL.*##' shopgraph/storefront/vendor/graphql-ws/*.mjs
	rm -rf .vendor-npm
