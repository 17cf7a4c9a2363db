#!/usr/bin/env bash
# Debian packages the tests and the lab use. Installs only when root and only what is missing,
# so a developer's re-run costs a few dpkg queries, and CI's fresh machine gets everything.
set -euo pipefail

packages=(openssh-server iproute2 strace krb5-kdc krb5-admin-server krb5-user)
# make sanity: without it, ansible-test skips its shellcheck test and still passes.
packages+=(shellcheck)
# The lab's FIPS clusters: Bouncy Castle's provider (BCFKS stores), copied under each FIPS node's
# /opt/mapr/lib as a stand-in for the bc-fips jar MapR ships there.
packages+=(libbcprov-java)
# The lab's Java TLS client runs as a single-file source program, which needs the JDK's compiler.
command -v javac >/dev/null 2>&1 && command -v keytool >/dev/null 2>&1 || packages+=(default-jdk-headless)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: not root, so not installing: ${missing[*]}" >&2
  echo "system-deps: tests that need them will say so and skip" >&2
  exit 0
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Package scripts may start the system KDC or sshd; the tests run their own on private addresses.
for svc in krb5-kdc krb5-admin-server ssh; do
  service "$svc" stop >/dev/null 2>&1 || true
done
