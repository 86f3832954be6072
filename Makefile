# `make test` and `make demo` work on a fresh machine: they create the
# virtual environment when it is missing, install, then run.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.vpt_mm-installed

.PHONY: install test demo lint clean

$(STAMP): setup.py requirements/*.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -r requirements/mminstall.txt
	$(PY) -m pip install -q -e '.[all]'
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(PY) -m ruff check vpt_mm tools tests configs setup.py

# two workers (pytest-xdist), each taking whole test files so that a
# file's module fixtures are built once: 6 min instead of 10 on 2 cores
TEST_JOBS ?= 2
test: install lint
	$(PY) -m pytest tests -q -n $(TEST_JOBS) --dist loadfile

# DEMO_QUICK=1 make demo: the same path with a few iterations (CI runs it)
demo: install
	PYTHON=$(PY) bash tools/demo.sh

clean:
	rm -rf $(VENV) work_dirs data/demo
