#!/usr/bin/env bash
# Installs what the tests need and runs the whole suite:
#   - a Python venv with moto's server (the local AWS emulator) in .venv/
#   - the Debian packages the tests start (installed only when missing)
# then formatting and lint checks, the dependency scan, every test, the benchmarks' build, the
# demo, and a fuzzing run.
# Tests only ever talk to 127.0.0.1; no AWS account or network access is used.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "Python venv with moto[server] (AWS emulator) and authlib (token endpoint)"
VENV="${APIGW_TEST_VENV:-.venv}"
PY_PACKAGES=('moto[server]>=5.1,<6' 'authlib>=1.3,<2')
if ! "$VENV/bin/python" -c 'import moto.server, authlib.jose' >/dev/null 2>&1; then
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}"
fi
"$VENV/bin/python" -c 'import moto, authlib; print("moto", moto.__version__, "authlib", authlib.__version__)'

step "Debian packages"
# command -> package. openssl: certificates and TLS peers in tests; tinyproxy (HTTP CONNECT),
# microsocks (SOCKS5) and stunnel (TLS in front of tinyproxy): the proxies of tests/proxies.rs;
# prometheus and promtool: the scraper and linter of tests/prometheus.rs.
declare -A PACKAGES=([openssl]=openssl [tinyproxy]=tinyproxy [microsocks]=microsocks [stunnel]=stunnel4
  [prometheus]=prometheus [promtool]=prometheus)
missing=()
for cmd in "${!PACKAGES[@]}"; do command -v "$cmd" >/dev/null || missing+=("${PACKAGES[$cmd]}"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
echo "all present: ${!PACKAGES[*]}"

# Static credentials and no instance metadata: the SDK must never reach for 169.254.169.254.
export MOTO_SERVER="$PWD/$VENV/bin/moto_server"
export AWS_EC2_METADATA_DISABLED=true AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN

# A full run, not an edit loop: incremental caches would only take disk (1.5 GB).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --all-targets --locked -- -D warnings

step "dependency scan: cargo-deny (RustSec advisories, bans, licenses, sources), offline"
command -v cargo-deny >/dev/null || cargo install cargo-deny --locked --version 0.20.2
# The RustSec database is a snapshot beside the project (CI cannot reach GitHub). cargo-deny 0.20
# looks for its default database in this folder, as a git repository.
ADVISORY_DB="${APIGW_ADVISORY_DB:-../shared/advisory-db}"
db=target/advisory-dbs/advisory-db-3157b0e258782691
cargo fetch --locked --quiet
if [ -d "$ADVISORY_DB/crates" ]; then
  rm -rf "$db" && mkdir -p "$db" && cp -r "$ADVISORY_DB/." "$db/" && chmod -R u+w "$db"
  git -C "$db" init -q && git -C "$db" add -A
  git -C "$db" -c user.name=ci -c user.email=ci@localhost commit -qm "RustSec snapshot"
  cargo deny --offline check
else
  echo "WARNING: no RustSec database at $ADVISORY_DB: advisories NOT checked" >&2
  cargo deny --offline check bans licenses sources
fi

step "cargo test"
cargo test --all-targets --locked

step "demo"
# The binary the integration tests just built (cargo run would rebuild the AWS SDK without the
# dev-dependency feature set).
target/debug/apigw-agent demo --records 20000
# Receiver faults at random (seeded) and two SIGKILLs of the pipeline, restarted from its state file.
target/debug/apigw-agent demo --records 20000 --chaos --seed 42

step "fuzz the access-log parser for ${FUZZ_SECONDS:=60}s (cargo-fuzz, libFuzzer)"
# `-s none` (no sanitizer) builds on the stable toolchain; the parser is the agent's own source.
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --version 0.13.2
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
corpus="$(mktemp -d)"
fuzz_log="$(mktemp)"
if (cd fuzz && cargo fuzz run access_log -s none "$corpus" seeds/access_log -- \
      -max_total_time="$FUZZ_SECONDS" -max_len=4096 -print_final_stats=1) >"$fuzz_log" 2>&1; then
  grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' "$fuzz_log" || tail -n 5 "$fuzz_log"
else
  tail -n 60 "$fuzz_log"
  echo "the fuzzer found a failing input (see fuzz/artifacts/access_log/)" >&2
  exit 1
fi
rm -rf "$corpus" "$fuzz_log"
