# The two commands a newcomer needs: `make demo` and `make test`. Both install what they need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_RUN ?= runs/demo
DEMO_TEMPERATURE ?= 0.8
PRETRAINED_TEMPERATURE ?= 0.6

.PHONY: install demo test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(STAMP)

# First music from a model shipped with mguv (pretrained:bach-2bar, no training), then train the small
# LSTM-VAE on the Bach chorales shipped with music21, write MIDI + WAV samples, and score the two on
# the same validation chorales. FluidSynth makes the WAVs sound like instruments; without it they
# are sine waves.
demo: install
	@command -v fluidsynth >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& apt-get install -y -q fluidsynth >/dev/null 2>&1; } || echo "(FluidSynth not installed: WAVs will be sine waves)"
	$(BIN)/python -m mguv.generate pretrained:bach-2bar --num 8 --temperature $(PRETRAINED_TEMPERATURE) --wav --out $(DEMO_RUN)/pretrained
	@echo "Listen now: $(DEMO_RUN)/pretrained/*.wav, from a model shipped with mguv. Next: training your own (2-3 minutes)."
	$(BIN)/python train.py --mode symbolic --config lstm_vae-demo --out $(DEMO_RUN) --overwrite
	$(BIN)/python -m mguv.generate $(DEMO_RUN) --num 8 --temperature $(DEMO_TEMPERATURE) --wav --out $(DEMO_RUN)/generated
	$(BIN)/python -m mguv.evaluate $(DEMO_RUN) --compare pretrained:bach-2bar --iw-samples 0
	@echo "Listen: $(DEMO_RUN)/pretrained/*.wav (shipped) and $(DEMO_RUN)/generated/*.wav (yours); plots in $(DEMO_RUN)/plots/"

test: install
	$(BIN)/python -m pytest -q -n 2 --durations=15

clean:
	rm -rf $(VENV) runs .pytest_cache
