#!/usr/bin/env bash
# install-test-deps.sh - the Debian tools the tests run besides Python's: desktop-file-validate
# (desktop-file-utils) and appstreamcli (appstream), which tests/test_desktop_files.py runs on the
# bundled .desktop entry and AppStream metainfo.
#
# Usage: packaging/install-test-deps.sh        (`make test` runs it before pytest)
#
# Idempotent: a package whose command is already on the PATH is left alone, and apt-get update
# runs only when something has to be installed. As non-root it uses sudo when usable; otherwise
# it prints the command to run and exits 0 (the test then skips, saying so). Where apt-get fails
# it says so and exits 0: the other tests still run, and the validator tests fail, naming it.
set -euo pipefail

log() { printf '%s\n' "install-test-deps: $*"; }

declare -A command_pkg=(
    [desktop-file-validate]=desktop-file-utils
    [appstreamcli]=appstream
)

to_install=()
for cmd in "${!command_pkg[@]}"; do
    command -v "${cmd}" >/dev/null 2>&1 || to_install+=("${command_pkg[${cmd}]}")
done

if [[ ${#to_install[@]} -eq 0 ]]; then
    log "nothing to do; desktop-file-validate and appstreamcli are present"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    log "apt-get not available; please install the equivalents of: ${to_install[*]}"
    exit 0
fi

sudo_cmd=()
if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo_cmd=(sudo)
    else
        log "not root and sudo unavailable; please run: apt-get install -y --no-install-recommends ${to_install[*]}"
        exit 0
    fi
fi

export DEBIAN_FRONTEND=noninteractive
# a mirror out of reach must not stop the other tests: the lists already here may do, and where
# the install fails the two validator tests fail, naming this script
if ! "${sudo_cmd[@]+"${sudo_cmd[@]}"}" apt-get update -qq; then
    log "apt-get update failed (its message is above); trying the package lists already here"
fi
if ! "${sudo_cmd[@]+"${sudo_cmd[@]}"}" apt-get install -y -qq --no-install-recommends "${to_install[@]}" >/dev/null; then
    log "could not install ${to_install[*]} (apt-get's message is above): the tests go on, and" \
        "tests/test_desktop_files.py fails until they are installed"
    exit 0
fi
log "installed ${#to_install[@]} package(s): ${to_install[*]}"
