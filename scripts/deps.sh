#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages demat needs, and only those that are missing.
# Usage: scripts/deps.sh [GROUP...]   groups: build test bench (default: build test)
# Idempotent: when everything is present it does nothing and touches no network.
set -euo pipefail

build=(
  gcc pkg-config
  libtesseract-dev libleptonica-dev
  tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra tesseract-ocr-ara tesseract-ocr-osd
  # Fyne (OpenGL + X11 + Wayland)
  libgl1-mesa-dev xorg-dev libwayland-dev libxkbcommon-dev
  # SANE scanners (libsane1 brings the backends, the test backend among them)
  libsane-dev libsane1
)
test=(
  poppler-utils qpdf
  # validators: XMP read by exiftool, ICC profiles by LittleCMS, ALTO by xmllint
  libimage-exiftool-perl liblcms2-utils libxml2-utils
  # the XHTML DTD hOCR files are checked against
  w3c-sgml-lib
  # a real Secret Service (gnome-keyring in its own D-Bus session) and a real PKCS#11 token (SoftHSM2)
  gnome-keyring dbus-daemon dbus-bin libsecret-tools softhsm2 opensc
  # openssl cms shows what a signature's CMS holds
  openssl
  # scanimage, to compare demat with SANE's own front end when a device misbehaves
  sane-utils
  # real delivery servers the upload tests start on loopback: Apache httpd with mod_dav (WebDAV), OpenSSH (SFTP)
  apache2 openssh-server
  # an independent QR decoder, to read back signature blocks
  zbar-tools
  # the window under a virtual X server (software OpenGL), and its screenshots
  xvfb x11-utils imagemagick libgl1-mesa-dri
)
bench=(
  ocrmypdf time
)

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(build test)

want=()
for g in "${groups[@]}"; do
  case "$g" in
    build) want+=("${build[@]}") ;;
    test) want+=("${test[@]}") ;;
    bench) want+=("${bench[@]}") ;;
    *) echo "deps: unknown group $g (build, test, bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "deps: missing packages (${missing[*]}) and no apt-get here: install them with your system's package manager" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# The tests start their own servers on loopback: keep the packages' system
# services (Apache on :80, sshd on :22) from starting at install time.
policy=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  added_policy=1
fi
status=0
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" || status=$?
[ -z "$added_policy" ] || $sudo rm -f "$policy"
exit $status
