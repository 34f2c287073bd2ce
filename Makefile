# The two commands a newcomer needs: `make demo` and `make test`. Both install what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_RUN ?= runs/demo

.PHONY: install demo test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(STAMP)

# Train the small LSTM-VAE on the Bach chorales shipped with music21, then write MIDI + WAV samples.
# FluidSynth makes the WAVs sound like instruments; without it they are sine waves.
demo: install
	@command -v fluidsynth >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get install -y -q fluidsynth >/dev/null 2>&1; } || echo "(FluidSynth not installed: WAVs will be sine waves)"
	$(BIN)/python train.py --mode symbolic --config lstm_vae-demo --out $(DEMO_RUN) --overwrite
	$(BIN)/python -m mguv.generate $(DEMO_RUN) --num 8 --temperature 0.8 --wav --out $(DEMO_RUN)/generated
	@echo "Listen: $(DEMO_RUN)/generated/*.wav (MIDI beside them); plots in $(DEMO_RUN)/plots/"

test: install
	$(BIN)/python -m pytest -q -n 2 --durations=15

clean:
	rm -rf $(VENV) runs .pytest_cache
