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
FUZZ_REPLAY_BUILD ?= build/fuzz-replay
FUZZ_ASAN_BUILD ?= build/fuzz-asan
TSAN_BUILD ?= build/tsan
FUZZ_BUILD ?= build/fuzz
FUZZ_SECONDS ?= 180
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
# valgrind memcheck of the C tests, strace to kill writers at exact system calls (make test);
# clang and libFuzzer's runtime for make fuzz only.
SYSTEM_PACKAGES += valgrind strace
FUZZ_SYSTEM_PACKAGES := clang libclang-rt-14-dev
FUZZ_SOURCES := $(wildcard native/fuzz/*.[ch]) native/fuzz/CMakeLists.txt
# The notebook widgets' end-to-end test: headless Chromium driven by Playwright.
SYSTEM_PACKAGES += chromium
# Without a display, GUI programs run on a virtual one.
ON_SCREEN := $(if $(DISPLAY),,xvfb-run -a)

.PHONY: all demo test test-c test-asan test-python system-deps venv install uninstall clean bench
.PHONY: test-fuzz-replay test-tsan test-valgrind fuzz fuzz-build

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

# ---- reliability: fuzz replays and sweeps, ThreadSanitizer, valgrind ----------
# The fuzz targets' replay programs (native/fuzz), plain and under ASan+UBSan:
# corpus, crashers and sweeps of damaged conformance vectors; both builds must
# report the same outcome for every input.
$(FUZZ_REPLAY_BUILD)/.built: $(NATIVE_SOURCES) $(FUZZ_SOURCES) | system-deps
	$(CMAKE) -S native -B $(FUZZ_REPLAY_BUILD) -DCMAKE_BUILD_TYPE=Release -DPZP_BUILD_FUZZERS=ON \
	  -DPZP_BUILD_TESTS=OFF -DPZP_BUILD_CLI=OFF
	$(CMAKE) --build $(FUZZ_REPLAY_BUILD) -j $(JOBS)
	@touch $@

$(FUZZ_ASAN_BUILD)/.built: $(NATIVE_SOURCES) $(FUZZ_SOURCES) | system-deps
	$(CMAKE) -S native -B $(FUZZ_ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPZP_BUILD_FUZZERS=ON \
	  -DPZP_BUILD_TESTS=OFF -DPZP_BUILD_CLI=OFF -DPZP_SANITIZE=address,undefined
	$(CMAKE) --build $(FUZZ_ASAN_BUILD) -j $(JOBS)
	@touch $@

test-fuzz-replay: $(FUZZ_REPLAY_BUILD)/.built $(FUZZ_ASAN_BUILD)/.built
	rm -rf $(FUZZ_REPLAY_BUILD)/outcomes $(FUZZ_ASAN_BUILD)/outcomes
	native/fuzz/replay.sh $(FUZZ_REPLAY_BUILD) $(FUZZ_REPLAY_BUILD)/outcomes & plain=$$!; \
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  native/fuzz/replay.sh $(FUZZ_ASAN_BUILD) $(FUZZ_ASAN_BUILD)/outcomes & sanitized=$$!; \
	wait $$plain && wait $$sanitized
	diff -r $(FUZZ_REPLAY_BUILD)/outcomes $(FUZZ_ASAN_BUILD)/outcomes
	@echo "fuzz replays: the same outcomes with and without sanitizers"

# 16 threads decoding random frames of shared containers (and the rest of the
# threads section) under ThreadSanitizer.
$(TSAN_BUILD)/.built: $(NATIVE_SOURCES) | system-deps
	$(CMAKE) -S native -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPZP_SANITIZE=thread -DPZP_BUILD_CLI=OFF
	$(CMAKE) --build $(TSAN_BUILD) -j $(JOBS)
	@touch $@

test-tsan: $(TSAN_BUILD)/.built
	TSAN_OPTIONS=halt_on_error=1 PZP_TEST_ONLY=threads $(TSAN_BUILD)/pzp_test tests/data/conformance

# Every C test (short sweeps) under valgrind memcheck: no invalid access, no leak; then the fuzz
# replays of corpus, crashers and conformance vectors (memcheck also sees reads of uninitialised
# memory, which ASan does not).
VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
test-valgrind: $(BUILD)/.built $(FUZZ_REPLAY_BUILD)/.built
	PZP_TEST_QUICK=1 $(VALGRIND) $(BUILD)/pzp_test tests/data/conformance
	set -e; for target in decode container info small_buffer; do for verify in 0 1; do \
	  PZP_FUZZ_VERIFY=$$verify $(VALGRIND) $(FUZZ_REPLAY_BUILD)/fuzz/fuzz_$${target}_replay native/fuzz/corpus/pzp \
	    native/fuzz/crashers/decode tests/data/conformance/*.pzp > /dev/null; \
	done; done
	$(VALGRIND) $(FUZZ_REPLAY_BUILD)/fuzz/fuzz_roundtrip_replay native/fuzz/corpus/roundtrip native/fuzz/crashers/roundtrip \
	  > /dev/null

# ---- fuzzing (not part of make test) --------------------------------------------
# libFuzzer (clang) with ASan+UBSan: every target for FUZZ_SECONDS, the decode
# targets with the frame checksum verified and not; new inputs go to
# $(FUZZ_BUILD)/corpus-*, crashes to native/fuzz/crashers/ (keep each one as a
# regression file and fix it). Then the atheris harness over the Python API.
fuzz-build:
	$(MAKE) system-deps SYSTEM_PACKAGES="$(SYSTEM_PACKAGES) $(FUZZ_SYSTEM_PACKAGES)"
	CC=clang $(CMAKE) -S native -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPZP_BUILD_FUZZERS=ON \
	  -DPZP_BUILD_TESTS=OFF -DPZP_BUILD_CLI=OFF -DPZP_SANITIZE=address,undefined
	$(CMAKE) --build $(FUZZ_BUILD) -j $(JOBS)

fuzz: fuzz-build $(VENV)/.installed
	mkdir -p $(FUZZ_BUILD)/corpus-pzp $(FUZZ_BUILD)/corpus-roundtrip
	set -e; for target in decode container info small_buffer; do for verify in 0 1; do \
	  echo "fuzz_$$target (verify $$verify): $(FUZZ_SECONDS) s"; \
	  PZP_FUZZ_VERIFY=$$verify $(FUZZ_BUILD)/fuzz/fuzz_$$target -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	    -timeout=10 -dict=native/fuzz/pzp.dict -print_final_stats=1 \
	    -artifact_prefix=native/fuzz/crashers/decode/$$target-verify$$verify- \
	    $(FUZZ_BUILD)/corpus-pzp native/fuzz/corpus/pzp tests/data/conformance; \
	done; done
	$(FUZZ_BUILD)/fuzz/fuzz_roundtrip -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 -print_final_stats=1 \
	  -artifact_prefix=native/fuzz/crashers/roundtrip/roundtrip- $(FUZZ_BUILD)/corpus-roundtrip native/fuzz/corpus/roundtrip
	$(PY) native/fuzz/fuzz_python.py -max_total_time=$(FUZZ_SECONDS) -timeout=10 native/fuzz/corpus/pzp

# ---- Python ------------------------------------------------------------------
$(PY): | system-deps
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml $(NATIVE_SOURCES) | $(PY)
	$(PY) -m pip install -q scikit-build-core cmake ninja
	$(PY) -m pip install -q --no-build-isolation -e ".[test]"
	@# torch for the DataLoader test: a CPU build that lies on this machine's disk; optional
	$(PY) -m pip install -q "torch==2.13.0" || echo "torch not installable: the DataLoader test is skipped"
	@# atheris for the Python fuzzing test (and make fuzz); optional
	$(PY) -m pip install -q atheris || echo "atheris not installable: the Python fuzzing test is skipped"
	@touch $@

venv: $(VENV)/.installed

test-python: $(VENV)/.installed $(BUILD)/.built
	@# PYTHONWARNINGS: napari's and npe2's pydantic deprecation notices at plugin load (not ours)
	PZP_CLI=$(abspath $(BUILD))/pzp PYTHONWARNINGS=ignore::DeprecationWarning $(PY) -m pytest tests -q

# ---- the README's two commands -------------------------------------------------
demo: $(VENV)/.installed
	$(PY) -m pzp.demo --out build/demo
	$(ON_SCREEN) $(PY) -m napari_pzp.demo --out build/demo

test: test-c test-asan test-fuzz-replay test-tsan test-valgrind test-python

# The benchmark suite (bench/run.py, about 10 minutes): writes bench/results/*.csv,
# docs/performance.md and docs/performance.png.
$(VENV)/.bench-installed: pyproject.toml | $(VENV)/.installed
	$(PY) -m pip install -q --no-build-isolation -e ".[bench]"
	@touch $@

bench: $(VENV)/.installed $(VENV)/.bench-installed
	$(PY) bench/run.py

clean:
	rm -rf build dist libpzp.so
