# The two set-up commands of the README: `make demo` and `make test`. Each creates .venv when missing.
# `make tryton` keeps an embedded Tryton with demo books running, for the README's "Running against Tryton".
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo tryton test bench clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	@# the build backend's warning about an editable install (a checkout's folders may shadow packages) is for us
	PYTHONWARNINGS=ignore $(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/python examples/tryton/demo.py

tryton: $(STAMP)
	$(VENV)/bin/python examples/tryton/serve.py

test: $(STAMP)
	$(VENV)/bin/python -m pytest

bench: $(STAMP)
	$(VENV)/bin/python bench/eval_bench.py

clean:
	rm -rf $(VENV) .tryton .pytest_cache .hypothesis
