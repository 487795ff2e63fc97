# Tongban: `make run` to try it, `make test` to test it. Nothing else needs typing.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
TONGBAN := $(VENV)/bin/tongban
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

# Find a Python >= 3.12: PATH first, then pyenv's versions.
PYTHON_FOUND := $(shell for p in python3.13 python3.12 $$HOME/.pyenv/versions/3.13*/bin/python3 $$HOME/.pyenv/versions/3.12*/bin/python3 /root/.pyenv/versions/3.13*/bin/python3 /root/.pyenv/versions/3.12*/bin/python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then command -v $$p; break; fi; done)

.PHONY: run test venv install browsers lint bench demo migrate clean ci

$(STAMP): pyproject.toml requirements/dev.txt
	@test -n "$(PYTHON_FOUND)" || { echo "需要 Python >= 3.12（未找到 python3.12 / python3.13）"; exit 1; }
	test -x $(PY) || $(PYTHON_FOUND) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip uv
	$(VENV)/bin/uv pip install --python $(PY) --quiet --require-hashes -r requirements/dev.txt
	$(VENV)/bin/uv pip install --python $(PY) --quiet --no-deps -e .
	touch $(STAMP)

venv install: $(STAMP)

# Browser tests need Debian's chromium and a CJK font; install them when missing.
browsers:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		echo "安装 chromium 与中文字体…"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk poppler-utils >/dev/null; \
	fi

migrate: $(STAMP)
	$(TONGBAN) migrate --noinput
	$(TONGBAN) createcachetable

demo: migrate
	$(TONGBAN) demo

run: demo
	$(TONGBAN) serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench

test: $(STAMP) browsers lint
	$(TONGBAN) makemigrations --check --dry-run >/dev/null || { echo "模型有未生成的迁移"; exit 1; }
	TONGBAN_TESTING=1 $(VENV)/bin/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache
