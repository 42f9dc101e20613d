#!/usr/bin/env bash
# The one test command (`npm run ci`): typecheck, lint, format, boundaries, then every vitest project.
# Integration tests need a real nats-server; install it from Debian when it is missing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

if [[ ! -d node_modules || -n "${CI:-}" ]]; then
  step "npm ci"
  npm ci
fi

# The Debian package installs to /usr/sbin, which is not on a normal user's PATH.
export PATH="${PATH}:/usr/sbin:/usr/local/sbin"
if ! command -v nats-server >/dev/null 2>&1; then
  step "install nats-server (apt)"
  SUDO=""
  if [[ "$(id -u)" -ne 0 ]]; then SUDO="sudo"; fi
  $SUDO apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y nats-server
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
