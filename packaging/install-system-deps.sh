#!/usr/bin/env bash
# install-system-deps.sh - make this Debian/Ubuntu machine able to show the
# DCGAN Studio Qt window under a real X server (xcb platform plugin) and run
# it headless under Xvfb (e.g. for screenshots).
#
# Usage: packaging/install-system-deps.sh [PYTHON]
#   PYTHON  interpreter whose PySide6 install is inspected
#           (default: .venv/bin/python of the repository root)
#
# What it does (idempotent; safe to run repeatedly):
#   1. Locates PySide6's Qt/plugins/platforms/libqxcb.so and Qt/lib/*.so* and
#      runs ldd on them to find shared libraries that are "not found".
#   2. Maps those sonames to Debian packages, and adds packages that are
#      needed but invisible to ldd: libxcb-cursor0 (dlopen'ed by Qt >= 6.5
#      xcb), xvfb + xauth (Xvfb / xvfb-run; xauth is only a Recommends of
#      xvfb) and fonts-dejavu-core (so text renders).
#   3. Installs only the packages that are not installed yet, with
#      apt-get install -y --no-install-recommends; apt-get update runs only
#      when something has to be installed. As non-root it uses sudo when
#      usable; otherwise it prints which packages to install and exits 0.
#   4. Prints one summary line.
set -euo pipefail

log() { printf '%s\n' "install-system-deps: $*"; }

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "${script_dir}/.." && pwd)"
python="${1:-${repo_root}/.venv/bin/python}"

if ! command -v "${python}" >/dev/null 2>&1; then
    log "error: python interpreter '${python}' not found (pass it as the first argument)" >&2
    exit 2
fi

# Locate PySide6 without importing it (importing would load the Qt libraries).
pyside_dir="$("${python}" - <<'EOF'
import importlib.util, os, sys
spec = importlib.util.find_spec("PySide6")
if spec is None or not spec.origin:
    sys.exit(1)
print(os.path.dirname(spec.origin))
EOF
)" || {
    log "error: PySide6 is not installed for '${python}'" >&2
    exit 2
}

qt_dir="${pyside_dir}/Qt"
xcb_plugin="${qt_dir}/plugins/platforms/libqxcb.so"
if [[ ! -f "${xcb_plugin}" ]]; then
    log "error: ${xcb_plugin} not found (PySide6 build without xcb plugin?)" >&2
    exit 2
fi

# --- 1. missing shared libraries according to ldd ---------------------------
shopt -s nullglob
elf_files=("${xcb_plugin}" "${qt_dir}"/lib/*.so*)
shopt -u nullglob

# the sonames that ldd reports "not found" for Qt's libraries and its xcb plugin, one a line
missing_sonames() {
    for f in "${elf_files[@]}"; do
        [[ -f "${f}" && ! -L "${f}" ]] || continue
        ldd "${f}" 2>/dev/null || true
    done | awk '/=> not found/ {print $1}' | sort -u
}

missing_libs=()
while IFS= read -r soname; do
    [[ -n "${soname}" ]] && missing_libs+=("${soname}")
done < <(missing_sonames)

# --- 2. soname -> Debian package ------------------------------------------------
declare -A soname_pkg=(
    [libxcb.so.1]=libxcb1
    [libxcb-icccm.so.4]=libxcb-icccm4
    [libxcb-keysyms.so.1]=libxcb-keysyms1
    [libxcb-cursor.so.0]=libxcb-cursor0
    [libxcb-image.so.0]=libxcb-image0
    [libxcb-render-util.so.0]=libxcb-render-util0
    [libxcb-render.so.0]=libxcb-render0
    [libxcb-shape.so.0]=libxcb-shape0
    [libxcb-shm.so.0]=libxcb-shm0
    [libxcb-sync.so.1]=libxcb-sync1
    [libxcb-randr.so.0]=libxcb-randr0
    [libxcb-xfixes.so.0]=libxcb-xfixes0
    [libxcb-xinerama.so.0]=libxcb-xinerama0
    [libxcb-xinput.so.0]=libxcb-xinput0
    [libxcb-xkb.so.1]=libxcb-xkb1
    [libxcb-util.so.1]=libxcb-util1
    [libxcb-glx.so.0]=libxcb-glx0
    [libX11.so.6]=libx11-6
    [libX11-xcb.so.1]=libx11-xcb1
    [libXext.so.6]=libxext6
    [libXrender.so.1]=libxrender1
    [libXi.so.6]=libxi6
    [libSM.so.6]=libsm6
    [libICE.so.6]=libice6
    [libxkbcommon.so.0]=libxkbcommon0
    [libxkbcommon-x11.so.0]=libxkbcommon-x11-0
    [libEGL.so.1]=libegl1
    [libGL.so.1]=libgl1
    [libGLX.so.0]=libglx0
    [libOpenGL.so.0]=libopengl0
    [libgbm.so.1]=libgbm1
    [libdrm.so.2]=libdrm2
    [libfontconfig.so.1]=libfontconfig1
    [libfreetype.so.6]=libfreetype6
    [libdbus-1.so.3]=libdbus-1-3
    [libglib-2.0.so.0]=libglib2.0-0
    [libgthread-2.0.so.0]=libglib2.0-0
    [libwayland-client.so.0]=libwayland-client0
    [libwayland-cursor.so.0]=libwayland-cursor0
    [libwayland-egl.so.1]=libwayland-egl1
    [libasound.so.2]=libasound2
    [libpulse.so.0]=libpulse0
    [libgssapi_krb5.so.2]=libgssapi-krb5-2
    [libcups.so.2]=libcups2
    [libnss3.so]=libnss3
    [libnspr4.so]=libnspr4
)

# Fallback guess for sonames not in the table, Debian library naming policy:
# libfoo-bar.so.4 -> libfoo-bar4, libfoo2.so.1 -> libfoo2-1.
guess_pkg() {
    local so="$1" base ver
    base="${so%%.so*}"
    ver="${so#*.so.}"
    [[ "${ver}" == "${so}" ]] && ver=""
    ver="${ver%%.*}"
    if [[ "${base}" =~ [0-9]$ && -n "${ver}" ]]; then
        printf '%s-%s\n' "${base}" "${ver}" | tr '[:upper:]_' '[:lower:]-'
    else
        printf '%s%s\n' "${base}" "${ver}" | tr '[:upper:]_' '[:lower:]-'
    fi
}

wanted=(libxcb-cursor0 xvfb xauth fonts-dejavu-core)
unmapped=()
for so in "${missing_libs[@]+"${missing_libs[@]}"}"; do
    if [[ -n "${soname_pkg[${so}]+x}" ]]; then
        wanted+=("${soname_pkg[${so}]}")
    else
        pkg="$(guess_pkg "${so}")"
        if command -v apt-cache >/dev/null 2>&1 && apt-cache show "${pkg}" >/dev/null 2>&1; then
            wanted+=("${pkg}")
        else
            # The package index may simply be stale; try again after update.
            unmapped+=("${so}:${pkg}")
        fi
    fi
done

is_installed() {
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" == "installed" ]]
}

to_install=()
if command -v dpkg-query >/dev/null 2>&1; then
    while IFS= read -r pkg; do
        is_installed "${pkg}" || to_install+=("${pkg}")
    done < <(printf '%s\n' "${wanted[@]}" | sort -u)
else
    mapfile -t to_install < <(printf '%s\n' "${wanted[@]}" | sort -u)
fi

missing_desc="${#missing_libs[@]} missing lib(s)${missing_libs[*]:+: ${missing_libs[*]}}"

if [[ ${#to_install[@]} -eq 0 && ${#unmapped[@]} -eq 0 ]]; then
    log "nothing to do; all Qt xcb/Xvfb system dependencies present (${missing_desc})"
    exit 0
fi

# --- 3. install ------------------------------------------------------------
if ! command -v apt-get >/dev/null 2>&1; then
    log "apt-get not available; please install the equivalents of: ${to_install[*]} ${unmapped[*]:-}"
    exit 0
fi

sudo_cmd=()
if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [[ -t 0 ]]; }; then
        sudo_cmd=(sudo)
    else
        log "not root and sudo unavailable; please run: apt-get install -y --no-install-recommends ${to_install[*]}${unmapped[*]:+ (unmapped: ${unmapped[*]})}"
        exit 0
    fi
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]+"${sudo_cmd[@]}"}" apt-get update -qq

# Retry sonames that could not be mapped with the stale index.
for entry in "${unmapped[@]+"${unmapped[@]}"}"; do
    so="${entry%%:*}"
    pkg="${entry#*:}"
    if apt-cache show "${pkg}" >/dev/null 2>&1; then
        is_installed "${pkg}" || to_install+=("${pkg}")
    else
        log "warning: no Debian package found for ${so} (guessed ${pkg}); skipping" >&2
    fi
done

if [[ ${#to_install[@]} -gt 0 ]]; then
    "${sudo_cmd[@]+"${sudo_cmd[@]}"}" apt-get install -y --no-install-recommends "${to_install[@]}"
fi

# --- 4. summary ------------------------------------------------------------
still_missing=()
while IFS= read -r soname; do
    [[ -n "${soname}" ]] && still_missing+=("${soname}")
done < <(missing_sonames)
log "installed ${#to_install[@]} package(s): ${to_install[*]:-none} (${missing_desc}; ${#still_missing[@]} still missing${still_missing[*]:+: ${still_missing[*]}})"
