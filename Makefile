# Tongban: `make run` to try it, `make test` to test it. Nothing else needs typing.
SHELL := /bin/bash
.SHELLFLAGS := -e -o pipefail -c
VENV ?= .venv
PY := $(VENV)/bin/python
TONGBAN := $(VENV)/bin/tongban
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
PYTEST_WORKERS ?= 2
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Find a Python >= 3.12: 3.12 first (the lock files are compiled for it), then 3.13; on PATH,
# then pyenv's installed versions.
PYTHON_FOUND := $(shell for p in python3.12 python3.13 $$HOME/.pyenv/versions/3.12*/bin/python3 \
	$$HOME/.pyenv/versions/3.13*/bin/python3 /root/.pyenv/versions/3.12*/bin/python3 \
	/root/.pyenv/versions/3.13*/bin/python3 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; \
	then $$p -c 'import sys; print(sys.executable)'; break; fi; done)

# Debian packages: command or file that proves each is there, then the package.
APT_TEST := chromium:chromium pdftoppm:poppler-utils msgfmt:gettext
APT_BENCH := wrk:wrk pgbouncer:pgbouncer

.PHONY: run test venv install system-packages bench-packages lint check-port migrate demo \
	collectstatic bench ci clean

# Browser libraries come from npm at install time (package-lock.json pins them) and are copied,
# with their licences, into git-ignored static directories; pages never load them from a CDN.
BPMN_VENDOR := src/tongban/workflow/static/workflow/vendor/bpmn-js

$(STAMP): pyproject.toml requirements/dev.txt package.json package-lock.json
	@test -n "$(PYTHON_FOUND)" || { echo "需要 Python >= 3.12（未找到 python3.12 / python3.13）"; exit 1; }
	@if [ -x $(PY) ] && ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
		echo "$(VENV) 的 Python 版本过旧，重新创建"; rm -rf $(VENV); fi
	test -x $(PY) || $(PYTHON_FOUND) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip uv
	$(VENV)/bin/uv pip install --python $(PY) --quiet --require-hashes -r requirements/dev.txt
	$(VENV)/bin/uv pip install --python $(PY) --quiet --no-deps -e .
	@command -v npm >/dev/null 2>&1 || { echo "需要 Node.js 与 npm（用于安装流程建模器等浏览器组件）"; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	rm -rf $(BPMN_VENDOR) && mkdir -p $(BPMN_VENDOR)
	cp node_modules/bpmn-js/dist/bpmn-modeler.production.min.js node_modules/bpmn-js/LICENSE $(BPMN_VENDOR)/
	cp -r node_modules/bpmn-js/dist/assets/. $(BPMN_VENDOR)/
	touch $(STAMP)

venv install: $(STAMP)

# Install missing Debian packages (chromium and a CJK font for the browser tests, poppler for
# printable pages, gettext for translations). Nothing happens when all are there.
define apt_install
	@missing=""; for pair in $(1); do cmd=$${pair%%:*}; pkg=$${pair##*:}; \
		command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$(2)" ] && ! fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null; then missing="$$missing $(2)"; fi; \
	if [ -n "$$missing" ]; then \
		echo "安装系统软件包：$$missing"; \
		$(SUDO) apt-get update -qq; \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
endef

system-packages:
	$(call apt_install,$(APT_TEST),fonts-noto-cjk)

bench-packages:
	$(call apt_install,$(APT_BENCH),)

# Fail fast, before the slow steps, when something already listens on the port.
check-port:
	@if (exec 3<>/dev/tcp/$(HOST)/$(PORT)) 2>/dev/null; then \
		echo "端口 $(PORT) 已被其他程序占用（也许通办已在运行？）。请先停止它，或换一个端口：make run PORT=$$(( $(PORT) + 1 ))"; \
		exit 1; fi

migrate: $(STAMP)
	$(TONGBAN) migrate --noinput

demo: migrate
	$(TONGBAN) demo

# Links and QR codes point at the port served on, unless TONGBAN_PUBLIC_URL was set.
run: export TONGBAN_PUBLIC_URL ?= http://$(HOST):$(PORT)
run: check-port demo
	$(TONGBAN) serve --host $(HOST) --port $(PORT)

# `make lint` also checks formatting; `make test` (and so CI) gates on the lint rules only, and
# lists unformatted files without failing.
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

test: $(STAMP) system-packages
	$(VENV)/bin/ruff check src tests bench
	@$(VENV)/bin/ruff format --check src tests bench >/dev/null 2>&1 || \
		{ echo "提示：以下文件未按 ruff format 格式化（make lint 会报错）："; \
		$(VENV)/bin/ruff format --check --output-format concise src tests bench 2>&1 | cut -d: -f1 | sort -u | grep -v '^$$' || true; }
	$(TONGBAN) makemigrations --check --dry-run || { echo "模型有未生成的迁移：运行 tongban makemigrations"; exit 1; }
	TONGBAN_TESTING=1 $(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

bench: $(STAMP) bench-packages
	$(PY) bench/run.py $(BENCH_ARGS)

ci:
	bash .ci/run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules $(BPMN_VENDOR)
