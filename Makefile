# pydynamips — the two commands a fresh machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 7200

.PHONY: demo hypervisor test bench venv clean firmware

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall when the project's metadata changes.
$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

# The main job: the hypervisor on 127.0.0.1:7200 with the demo lab (three routers of the
# bundled console firmware on one ghost image, consoles on 5001-5003), in the foreground.
demo: $(STAMP)
	$(PY) examples/demo_lab.py --port $(PORT)

# The hypervisor alone, as GNS3 would start it.
hypervisor: $(STAMP)
	$(VENV)/bin/pydynamips -H $(HOST):$(PORT)

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# Rebuild the test firmware ELFs (needs Debian's gcc-mips64-linux-gnuabi64); the built
# ELFs are committed, so tests never need the cross compiler.
firmware:
	$(MAKE) -C tests/firmware

clean:
	rm -rf $(VENV) .venv-gns3 .pytest_cache .hypothesis
