# Two commands do all the set-up on a fresh machine:
#   make demo   -> .venv with the kit, then the booth on http://127.0.0.1:7860 (embedded engines, no network)
#   make test   -> the same set-up, then the whole test suite
# Both are idempotent: the environment is rebuilt only when pyproject.toml changes.
# For developers and CI. Participants need no make: README, "Install on a participant's laptop" (plain pip).
# On Windows this Makefile works from Git Bash or MSYS2 (GNU make, sh, touch), with the venv's Scripts\ layout;
# it does not run under cmd.exe or nmake.

VENV ?= .venv
ifeq ($(OS),Windows_NT)
PYTHON ?= python
BIN := $(VENV)/Scripts
PY := $(BIN)/python.exe
else
PYTHON ?= python3
BIN := $(VENV)/bin
PY := $(BIN)/python
endif
STAMP := $(VENV)/.workshop-kit-installed
# CPU build of torch. On a Linux machine with internet and no local wheel, add the CPU index to avoid the
# several-GB CUDA build:  make demo TORCH_INDEX="--index-url https://download.pytorch.org/whl/cpu"
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
HOST ?= 127.0.0.1
PORT ?= 7860
LANG_UI ?= fr
BOOTH_ARGS ?=
PYTEST_ARGS ?=
# The suite runs in TEST_WORKERS processes (pytest-xdist; a test file stays in one), each with one torch thread, so
# that the cores are shared out rather than fought over (threads of two processes spinning on the same cores cost
# more than they give). TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= 2
ifeq ($(TEST_WORKERS),0)
XDIST :=
THREADS :=
else
XDIST := -n $(TEST_WORKERS) --dist loadfile
THREADS := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
endif

.PHONY: setup demo test soak bench gpu-check doctor notebooks pack clean browser

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH)" $(TORCH_INDEX)
	$(PY) -m pip install --quiet -e ".[dev,classroom,fast]"
	touch $(STAMP)

demo: $(STAMP)
	WORKSHOP_KIT_OFFLINE=1 HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False \
	  $(BIN)/workshop-kit booth --host $(HOST) --port $(PORT) --lang $(LANG_UI) $(BOOTH_ARGS)

# The Khronos glTF validator (npm) checks every GLB the kit writes; JupyterHub's proxy (npm) serves the classroom.
# Where Node.js is missing, those tests skip.
GLTF_VALIDATOR := .tools/node_modules/gltf-validator/package.json
HUB_PROXY := .tools/node_modules/configurable-http-proxy/package.json

# Debian's Chromium drives the booth's browser tests (Playwright); as root on Debian `make test` installs it.
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not found and not installable here: the browser tests will be skipped"; fi; \
	fi

test: $(STAMP) browser
	@if command -v npm >/dev/null 2>&1; then \
	  test -f $(GLTF_VALIDATOR) || npm install --silent --no-fund --no-audit --prefix .tools gltf-validator@2.0.0-dev.3.10; \
	  test -f $(HUB_PROXY) || npm install --silent --no-fund --no-audit --prefix .tools configurable-http-proxy@5.3.0; \
	else echo "npm not found: the glTF validator and classroom tests will be skipped"; fi
	$(BIN)/ruff check .
	HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False \
	WORKSHOP_KIT_REQUIRE_GLTF_VALIDATOR=$$(test -f $(GLTF_VALIDATOR) && echo 1 || echo 0) \
	WORKSHOP_KIT_REQUIRE_BROWSER=$$(command -v chromium >/dev/null 2>&1 && echo 1 || echo 0) \
	WORKSHOP_KIT_REQUIRE_CLASSROOM=$$(test -f $(HUB_PROXY) && echo 1 || echo 0) \
	$(THREADS) $(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

# Minutes of each engine made and saved again and again, memory traced: the leak checks too long for `make test`.
soak: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) -m pytest -m soak tests/test_memory.py $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/workshop-kit bench --out bench/results.json

# The CUDA fp16 paths of the pretrained engines (SD-Turbo 512² under 0.1 s): on a machine with an NVIDIA GPU.
# Without one it says so and exits 3, having checked nothing. Writes bench/gpu.json.
gpu-check: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) bench/gpu_check.py

doctor: $(STAMP)
	$(BIN)/workshop-kit doctor

# The room's USB stick (downloads once, about 1.5 GB for the default targets): make pack STICK=/media/usb
STICK ?= stick
PACK_ARGS ?=
pack: $(STAMP)
	$(BIN)/workshop-kit pack $(STICK) $(PACK_ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .tools
