# The two set-up commands of the README:
#   make run   create .venv on first use, install DCGAN Studio (and the system libraries Qt's
#              X11 plugin needs), open the studio window on the built-in digits
#   make test  create .venv on first use, install DCGAN Studio with its test tools (and the
#              desktop-file and AppStream validators), run the tests
#   make lint  ruff's lint and format check (CI runs it before the tests)
#   make walk  (for the engineers) screenshots of every state of the window, into walk/
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
RUN    ?= runs/$(shell date +%Y%m%d-%H%M%S)

.PHONY: run train test lint bench screenshots walk clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	bash packaging/install-system-deps.sh $(BIN)/python
	$(BIN)/dcgan-studio

train: $(STAMP)
	$(BIN)/dcgan-studio train --dataset digits --image-size 32 --iterations 600 --run-dir $(RUN)

screenshots: $(STAMP)
	bash packaging/install-system-deps.sh $(BIN)/python
	xvfb-run -a -s "-screen 0 1700x1100x24" $(BIN)/python resources/readme/make_screenshots.py
	xvfb-run -a -s "-screen 0 1366x768x24" $(BIN)/python resources/readme/walk_window.py \
	  --size 1366x768 --iterations 1200 --out walk/readme-1366x768 \
	  --readme resources/readme/window-1366x768.png

# a scripted walk through the whole window at a laptop's and a desktop's screen, a PNG per state
walk: $(STAMP)
	bash packaging/install-system-deps.sh $(BIN)/python
	for size in 1366x768 1920x1080; do \
	  xvfb-run -a -s "-screen 0 $${size}x24" $(BIN)/python resources/readme/walk_window.py \
	    --size $$size --out walk/$$size || exit 1; \
	done

test: $(STAMP)
	bash packaging/install-test-deps.sh
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_training.py

clean:
	rm -rf $(VENV) build dist *.egg-info
