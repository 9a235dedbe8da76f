# napari-pzp: the README's commands.
#
#   make demo        install what is missing, build, run the demo on the sample images
#   make test        install what is missing, build, run every test (C, sanitizers, Python)
#   make libpzp.so   build the C library (and the pzp tool) with CMake
#   make install     install library, header, pzp tool and pzp.pc (PREFIX, DESTDIR)
#
# System packages come from apt-get (as root, or through sudo) when missing;
# Python packages go into a virtual environment in $(VENV).

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PREFIX ?= /usr/local
BUILD ?= build/native
ASAN_BUILD ?= build/asan
CMAKE ?= cmake
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

NATIVE_SOURCES := $(wildcard native/src/*.[ch] native/include/*.h native/cli/*.[ch] native/tests/*.[ch]) \
                  native/CMakeLists.txt native/pzp.pc.in
# Debian/Ubuntu packages the build and the tests need.
SYSTEM_PACKAGES := build-essential pkg-config cmake libzstd-dev liblz4-dev python3-venv
# napari's viewer (tests, the demo's screenshot) on a virtual screen: Xvfb, Qt's xcb libraries, Mesa GL.
SYSTEM_PACKAGES += xvfb xauth libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 \
                   libxcb-xinerama0 libxcb-xfixes0 libxcb-shape0 libxcb-cursor0 libxkbcommon-x11-0 libdbus-1-3 \
                   libfontconfig1 libgl1-mesa-dri libglx-mesa0 libegl1 libgl1
# pzp-convert tests: ffmpeg makes their videos with sound (an encoder independent of the PyAV they read with).
SYSTEM_PACKAGES += ffmpeg
# Without a display, GUI programs run on a virtual one.
ON_SCREEN := $(if $(DISPLAY),,xvfb-run -a)

.PHONY: all demo test test-c test-asan test-python system-deps venv install uninstall clean bench

all: libpzp.so

# ---- system packages ---------------------------------------------------------
system-deps:
	@missing=""; \
	for p in $(SYSTEM_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if ! command -v apt-get >/dev/null; then echo "missing system packages:$$missing (no apt-get here: install them by hand)"; exit 1; fi; \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
	  echo "installing system packages:$$missing"; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# ---- C library, tool and tests ------------------------------------------------
$(BUILD)/build.ninja $(BUILD)/Makefile: native/CMakeLists.txt | system-deps
	$(CMAKE) -S native -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

$(BUILD)/.built: $(NATIVE_SOURCES) | $(BUILD)/Makefile
	$(CMAKE) --build $(BUILD) -j $(JOBS)
	@touch $@

libpzp.so: $(BUILD)/.built
	cp -f $(BUILD)/libpzp.so.1 libpzp.so

install: $(BUILD)/.built
	$(CMAKE) --install $(BUILD) --prefix $(PREFIX)
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" -eq 0 ] && command -v ldconfig >/dev/null; then ldconfig; fi

test-c: $(BUILD)/.built
	$(BUILD)/pzp_test tests/data/conformance

$(ASAN_BUILD)/.built: $(NATIVE_SOURCES) | system-deps
	$(CMAKE) -S native -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DPZP_SANITIZE=address,undefined
	$(CMAKE) --build $(ASAN_BUILD) -j $(JOBS)
	@touch $@

test-asan: $(ASAN_BUILD)/.built
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(ASAN_BUILD)/pzp_test tests/data/conformance

# ---- Python ------------------------------------------------------------------
$(PY): | system-deps
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml $(NATIVE_SOURCES) | $(PY)
	$(PY) -m pip install -q scikit-build-core cmake ninja
	$(PY) -m pip install -q --no-build-isolation -e ".[test]"
	@# torch for the DataLoader test: a CPU build that lies on this machine's disk; optional
	$(PY) -m pip install -q "torch==2.13.0" || echo "torch not installable: the DataLoader test is skipped"
	@touch $@

venv: $(VENV)/.installed

test-python: $(VENV)/.installed $(BUILD)/.built
	@# PYTHONWARNINGS: napari's and npe2's pydantic deprecation notices at plugin load (not ours)
	PZP_CLI=$(abspath $(BUILD))/pzp PYTHONWARNINGS=ignore::DeprecationWarning $(PY) -m pytest tests -q

# ---- the README's two commands -------------------------------------------------
demo: $(VENV)/.installed
	$(PY) -m pzp.demo --out build/demo
	$(ON_SCREEN) $(PY) -m napari_pzp.demo --out build/demo

test: test-c test-asan test-python

# The benchmark suite (bench/run.py, about 10 minutes): writes bench/results/*.csv,
# docs/performance.md and docs/performance.png.
$(VENV)/.bench-installed: pyproject.toml | $(VENV)/.installed
	$(PY) -m pip install -q --no-build-isolation -e ".[bench]"
	@touch $@

bench: $(VENV)/.installed $(VENV)/.bench-installed
	$(PY) bench/run.py

clean:
	rm -rf build dist libpzp.so
