# Two commands do all the set-up on a fresh machine:
#   make demo   -> .venv with the kit, then the booth on http://127.0.0.1:7860 (embedded engines, no network)
#   make test   -> the same set-up, then the whole test suite
# Both are idempotent: the environment is rebuilt only when pyproject.toml changes.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.workshop-kit-installed
# CPU build of torch. On a Linux machine with internet and no local wheel, add the CPU index to avoid the
# several-GB CUDA build:  make demo TORCH_INDEX="--index-url https://download.pytorch.org/whl/cpu"
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
HOST ?= 127.0.0.1
PORT ?= 7860
LANG_UI ?= fr
PYTEST_ARGS ?=

.PHONY: setup demo test bench gpu-check doctor notebooks clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH)" $(TORCH_INDEX)
	$(PY) -m pip install --quiet -e ".[dev,fast]"
	$(PY) -m pip install --quiet --no-deps tinysoundfont==0.3.7
	touch $(STAMP)

demo: $(STAMP)
	WORKSHOP_KIT_OFFLINE=1 HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False \
	  $(BIN)/workshop-kit booth --host $(HOST) --port $(PORT) --lang $(LANG_UI)

# The Khronos glTF validator (npm) checks every GLB the kit writes; where Node.js is missing those tests skip.
GLTF_VALIDATOR := .tools/node_modules/gltf-validator/package.json

test: $(STAMP)
	@if command -v npm >/dev/null 2>&1; then \
	  test -f $(GLTF_VALIDATOR) || npm install --silent --no-fund --no-audit --prefix .tools gltf-validator@2.0.0-dev.3.10; \
	else echo "npm not found: the glTF validator tests will be skipped"; fi
	HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False \
	WORKSHOP_KIT_REQUIRE_GLTF_VALIDATOR=$$(test -f $(GLTF_VALIDATOR) && echo 1 || echo 0) \
	  $(PY) -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/workshop-kit bench --out bench/results.json

# The CUDA fp16 paths of the pretrained engines (SD-Turbo 512² under 0.1 s): on a machine with an NVIDIA GPU.
# Without one it says so and exits 3, having checked nothing. Writes bench/gpu.json.
gpu-check: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) bench/gpu_check.py

doctor: $(STAMP)
	$(BIN)/workshop-kit doctor

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .tools
