# digitlab: `make help` lists the entry points.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# What every target needs first; CI's smoke run of ci-report reuses a venv with SETUP=.
SETUP ?= $(STAMP)
REV ?= HEAD
BASE ?= main
SUMMARY ?= reports/summary.md
# Presets: presets/<name>.yaml, overrides on top of params.yaml (see presets/README.md).
PRESETS := $(sort $(basename $(notdir $(wildcard presets/*.yaml))))
# Stages call `python`: put the venv first so dvc runs them with its interpreter.
export PATH := $(abspath $(BIN)):$(PATH)

.DEFAULT_GOAL := help
.PHONY: help setup repro serve report use-best teach exp-show tune verify-repro frontier fonts fill drawn \
	push pull exp-worker exp-point exp-collect exp-gc grid-matrix grid-sbatch grid-k8s remote-local \
	ci-remote ci-pull ci-report test test-fast lint format docs bench mutate page-shot browser sshd \
	slurm clean
CHROMIUM := chromium fonts-dejavu-core fonts-noto-cjk
SLURM := slurmctld slurmd slurm-client munge
SERVE_ARGS ?=
# Your own digits (make serve saves them, evaluate scores them) and the experiment that learns them.
MINE := data/mine
TEACH := mine
WEIGHT ?= 8
GRID ?= presets/tuning/fast-grid.yaml

##@ Use

## help: list the targets, by group
help:
	@awk '/^##@ /{printf "\n%s\n", substr($$0, 5)} /^## [a-zA-Z%-]+:/{sub(/^## /, ""); \
		split($$0, kv, ": "); printf "  %-14s %s\n", kv[1], substr($$0, length(kv[1]) + 3)}' $(MAKEFILE_LIST)

# The venv, rebuilt when the pins or the package metadata change.
$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

## setup: create .venv with the pinned dependencies and the package (editable)
setup: $(STAMP)

## repro: setup, then run the whole pipeline with dvc repro
repro: $(SETUP)
	$(BIN)/dvc repro

## serve: the page on http://127.0.0.1:8000/: every model reads what you draw; label it to save it
serve: $(SETUP)
	@made="$$($(BIN)/dvc exp list --all-commits --name-only 2>/dev/null)"; exps=""; \
	for name in $(PRESETS) $(TEACH); do echo "$$made" | grep -qx "$$name" && exps="$$exps --exp $$name"; done; \
	echo "$(BIN)/digitlab serve$$exps --collect $(MINE) $(SERVE_ARGS)"; \
	$(BIN)/digitlab serve $$exps --collect $(MINE) $(SERVE_ARGS)

## report: offline HTML comparing the workspace with REV (default HEAD): reports/report.html
report: $(SETUP)
	$(BIN)/python -m digitlab.lab.report --rev $(REV)

## use-best: put experiment best's params, model and metrics in the workspace (then commit)
use-best: $(SETUP)
	$(BIN)/dvc exp apply best
	@echo "best is in the workspace: digitlab predict and make serve now use its model." \
		"Undo: git checkout -- . && dvc checkout"

##@ Experiments

## exp-NAME: presets/NAME.yaml as experiment NAME (fast ~1 min, best ~20 min); REPLACE=1 redoes one
exp-%: $(SETUP)
	@# A bad preset or an existing experiment stops here with one line: nothing is run.
	$(BIN)/python -m digitlab.lab.experiment $* $(if $(REPLACE),--replace)

## teach: best's recipe plus your digits' train half (each WEIGHT=8 times) as experiment mine
teach: $(SETUP)
	$(BIN)/python -m digitlab.lab.experiment $(TEACH) --preset best --teach $(MINE) --weight $(WEIGHT) \
		$(if $(REPLACE),--replace)

## exp-show: every experiment beside its commit, in one table of 120 columns
exp-show: $(SETUP)
	@$(BIN)/python -m digitlab.lab.compare

## tune: train each candidate of TUNING=presets/tuning/NAME.yaml; scores on the validation halves
tune: $(SETUP)
	@test -n "$(TUNING)" || { echo 'tune: TUNING=presets/tuning/<name>.yaml is required' >&2; exit 2; }
	$(BIN)/python -m digitlab.lab.tune $(TUNING) --out benchmarks/tuning/$(notdir $(basename $(TUNING))).md

## verify-repro: dvc repro in a fresh temporary clone must match the committed results
verify-repro: $(SETUP)
	$(BIN)/python -m digitlab.lab.verify

## frontier: docs/frontier.png, accuracy against training time of HEAD, fast and best
frontier: $(SETUP)
	$(BIN)/python -m digitlab.lab.frontier --runs HEAD fast best

## fill: train.augment.fill_probability beside the real scans it imitates (docs/fill.png)
fill: $(SETUP)
	$(BIN)/python -m digitlab.lab.fillsheet --data data/mnist --real data/real/digits.csv.gz --out docs/fill.png

## fonts: the handwriting fonts' digits as train.fonts draws them (docs/fonts.png)
fonts: $(SETUP)
	$(BIN)/python -m digitlab.lab.fontsheet --fonts data/fonts --out docs/fonts.png

## drawn: how the workspace, fast and best read 20 stroke-drawn digits (docs/drawn.png)
drawn: $(SETUP)
	$(BIN)/python -m digitlab.lab.drawn --exp fast --exp best

##@ Team and CI

## push: data, models and outputs to the default DVC remote (docs/experiments.md: Work as a team)
push: $(SETUP)
	$(BIN)/dvc push

## pull: fetch data, models and outputs from the default DVC remote instead of rebuilding
pull: $(SETUP)
	$(BIN)/dvc pull

## exp-worker: one grid point on any machine: NAME=<name> PARAMS="-S key=value ..."; pushes it to origin
exp-worker: $(SETUP)
	@test -n "$(NAME)" || { echo 'exp-worker: NAME=<experiment name> is required' >&2; exit 2; }
	$(BIN)/python -m digitlab.lab.grid worker $(NAME) $(PARAMS)

## exp-point: the worker for point INDEX (from 0) of GRID: one SLURM array task or Kubernetes index
exp-point: $(SETUP)
	$(BIN)/python -m digitlab.lab.grid point $(GRID) $(INDEX) $(PARAMS)

## exp-collect: pull every experiment from origin; one table and reports/grid.png (GRID=…: name missing points)
exp-collect: $(SETUP)
	$(BIN)/python -m digitlab.lab.grid collect --out reports/grid.png $(if $(SUMMARY_OUT),--summary $(SUMMARY_OUT)) \
		$(if $(filter command line environment,$(origin GRID)),--grid $(GRID))

## exp-gc: remove the experiments in NAMES (default: all but the presets), then dvc gc
exp-gc: $(SETUP)
	$(BIN)/python -m digitlab.lab.grid gc $(NAMES)

## grid-matrix: GRID (default presets/tuning/fast-grid.yaml) as the JSON matrix of grid.yml
grid-matrix: $(SETUP)
	@$(BIN)/python -m digitlab.lab.grid matrix $(GRID)

## grid-sbatch: the sbatch line that runs GRID as a SLURM array (deploy/slurm/grid.sbatch)
grid-sbatch: $(SETUP)
	@$(BIN)/python -m digitlab.lab.deploy sbatch $(GRID) --venv $(abspath $(VENV))

## grid-k8s: deploy/k8s/grid-job.yaml, GRID as a Kubernetes Indexed Job (IMAGE=… names the image)
grid-k8s: $(SETUP)
	$(BIN)/python -m digitlab.lab.deploy k8s $(GRID) --out deploy/k8s/grid-job.yaml $(if $(IMAGE),--image $(IMAGE))

## remote-local: a folder DVC remote beside the repository, as the default; pushes the data to it
remote-local: $(SETUP)
	$(BIN)/python -m digitlab.lab.deploy remote-local

## ci-remote: make the URL in DVC_REMOTE_URL, when set, the default DVC remote (.dvc/config.local)
ci-remote: $(SETUP)
	@if [ -n "$$DVC_REMOTE_URL" ]; then \
		$(BIN)/dvc remote add --local --force --default ci "$$DVC_REMOTE_URL"; \
	else echo "no DVC remote URL given: using the repository's own remote, if any"; fi

## ci-pull: CI's pull: from DVC_REMOTE_URL when set, otherwise nothing (a full run follows)
ci-pull: ci-remote
	@if [ -n "$$DVC_REMOTE_URL" ]; then $(BIN)/dvc pull --allow-missing; \
	else echo "no DVC remote configured: every stage runs"; fi

## ci-report: what CI runs on a pull request: dvc repro, then diffs and plots vs BASE (main)
ci-report: $(SETUP)
	@mkdir -p reports
	set -o pipefail; $(BIN)/dvc repro 2>&1 | tee reports/repro.log
	@echo "ran: $$(grep -oP "^Running stage '\K[^']+" reports/repro.log | xargs echo) "
	@echo "not rerun (unchanged or from the run cache): $$(grep -oP \
		"^(Stage '\K[^']+(?=' didn't change)|Restored stage '\K[^']+)" reports/repro.log | xargs echo)"
	$(BIN)/python -m digitlab.lab.report --rev $(BASE) --summary $(SUMMARY)

##@ Development

## test: setup, then lint (ruff, mypy, zizmor, docs check) and every test, browser, SSH and SLURM included
test: lint browser sshd slurm
	$(BIN)/pytest

## test-fast: the tests that need neither DVC runs nor a browser (under a minute)
test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow and not browser" -q

## lint: ruff (lint, format), mypy (strict, every file outside tests/), zizmor and the docs check
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/zizmor --offline --quiet .github/workflows/
	$(BIN)/python -m digitlab.lab.docs --check

## format: rewrite the code with ruff's formatter and safe fixes
format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## docs: render every measured number in README.md and docs/ from metrics/ and benchmarks/
docs: $(STAMP)
	$(BIN)/python -m digitlab.lab.docs

## bench: run the benchmarks (one: SECTION=train, presets, predict, serve, pipeline, grid, ...)
bench: $(STAMP)
	$(BIN)/python -m benchmarks $(if $(SECTION),--only $(SECTION))

## mutate: mutation testing of every library module, kill rates into benchmarks/results.{md,json}
mutate: $(STAMP)
	rm -rf mutants
	@# One OpenMP thread: torch's thread pool hangs in mutmut's forked workers otherwise.
	OMP_NUM_THREADS=1 $(BIN)/mutmut run --max-children 2
	$(BIN)/python -m benchmarks --only mutation

## page-shot: docs/page.png from a real browser: the workspace's model and the presets' experiments
page-shot: $(SETUP) browser
	$(BIN)/python -m digitlab.lab.pageshot $(foreach name,$(PRESETS),--exp $(name))

# $(call apt-for,WHAT,PACKAGES,WHEN MISSING): install PACKAGES as root; otherwise say how.
apt-for = if [ "$$(id -u)" = 0 ]; then \
		echo "installing $(2) for $(1)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $(2) >/dev/null; \
	else \
		echo "$(1) lacks its packages and $(3). Install them with:"; \
		echo "  sudo apt-get install -y --no-install-recommends $(2)"; \
	fi

## browser: Debian's chromium and a CJK font for the real-browser test; installed here when run as root
browser:
	@command -v chromium >/dev/null && ls /usr/share/fonts/opentype/noto/*CJK* >/dev/null 2>&1 && exit 0; \
	$(call apt-for,the browser test,$(CHROMIUM),will fail)

## sshd: Debian's openssh-server for the SSH-remote test; installed here when run as root
sshd:
	@test -x /usr/sbin/sshd && exit 0; \
	$(call apt-for,the SSH-remote test,openssh-server,will skip)

## slurm: Debian's SLURM and munge for the single-node cluster test; installed here when run as root
slurm:
	@test -x /usr/sbin/slurmctld && test -x /usr/sbin/slurmd && test -x /usr/sbin/munged && exit 0; \
	$(call apt-for,the SLURM test,$(SLURM),will skip)

## clean: remove caches (not .venv, data or DVC's cache)
clean:
	rm -rf .mypy_cache .ruff_cache .pytest_cache
