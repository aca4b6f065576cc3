VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test sandbox lint clean image-check fleet-check

$(PY):
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# setuptools warns about editable installs in general (not about this project): quiet
$(STAMP): pyproject.toml | $(PY)
	PYTHONWARNINGS=ignore $(PY) -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(PY)
	PYTHONWARNINGS=ignore $(PY) -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

run: $(STAMP)
	$(VENV)/bin/smsproxy serve

sandbox: $(STAMP)
	$(VENV)/bin/smsproxy sandbox --host 127.0.0.1 --port 9300

test: $(TEST_STAMP)
	@bash .ci/install-prometheus
	@bash .ci/start-services
	$(VENV)/bin/ruff check proxy adapters tests
	$(VENV)/bin/mypy
	$(PY) -m pytest -q

# the image and the compose fleet as a user runs them (a Docker daemon needed)
image-check:
	bash deploy/check-image.sh

fleet-check:
	bash deploy/check-fleet.sh

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check proxy adapters tests
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache var
