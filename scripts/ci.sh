#!/usr/bin/env bash
# The one test command (`npm run ci`): typecheck, lint, format, boundaries, every vitest project, then the inbox's
# browser tests in real Chromium. Integration tests need a real nats-server and the browser tests Chromium;
# both are installed from Debian when missing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

if [[ ! -d node_modules || -n "${CI:-}" ]]; then
  step "npm ci"
  npm ci
fi

# The Debian package installs to /usr/sbin, which is not on a normal user's PATH.
export PATH="${PATH}:/usr/sbin:/usr/local/sbin"
MISSING=()
command -v nats-server >/dev/null 2>&1 || MISSING+=(nats-server)
[[ -x /usr/bin/chromium ]] || MISSING+=(chromium)
if [[ ${#MISSING[@]} -gt 0 ]]; then
  step "install ${MISSING[*]} (apt)"
  SUDO=""
  if [[ "$(id -u)" -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y "${MISSING[@]}"
fi
step "nats-server: $(nats-server --version)"

step "typecheck"
npm run typecheck

step "lint"
npm run lint

step "format:check"
npm run format:check

step "boundaries"
npm run boundaries

step "test (all vitest projects)"
npm run test

step "test:e2e (the inbox in Chromium)"
npm run test:e2e
