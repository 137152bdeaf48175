#!/usr/bin/env bash
# Installs every build and test dependency of ember from Debian's packages.
# Idempotent: packages already present are skipped, so a second run is quick.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake clang llvm pkg-config git ccache
  # BPF: libbpf, bpftool (vmlinux.h + skeletons), kernel BTF is read at build time
  libbpf-dev bpftool libelf-dev zlib1g-dev
  # core libraries
  libboost-dev libboost-filesystem-dev libspdlog-dev libfmt-dev libtomlplusplus-dev
  libunwind-dev liblzma-dev libiberty-dev
  # debuginfod: the client library (dlopened when turned on) and its header;
  # the server for the integration test
  libdebuginfod-dev libdebuginfod1 debuginfod
  # dwz, to build debug files split as Debian's -dbgsym packages are (tests)
  dwz
  # the tests' reference DWARF reader (libdw) and a distribution's debug file
  # with thousands of units to check ember's reader against (libc6-dbg)
  libdw-dev libc6-dbg
  # the local store and exports (pprof is protobuf)
  libsqlite3-dev sqlite3 protobuf-compiler libprotobuf-dev
  # `ember ui`'s HTTP server; the upload sink's HTTP(S) client
  libcpp-httplib-dev libcurl4-openssl-dev
  # `ember server`'s storage (started as a plain process by scripts/clickhouse.sh)
  clickhouse-server clickhouse-client
  # ZooKeeper for the replicated cluster's test (scripts/zookeeper.sh)
  zookeeperd
  # tests and sanitizers
  libgtest-dev libgmock-dev libclang-rt-14-dev python3 util-linux
  # test workloads and readers: Flask story, Rust binaries, `go tool pprof`, a real
  # browser, Java programs (Debian's OpenJDK 17)
  python3-flask cargo rustc golang-go chromium openjdk-17-jdk-headless
  # the Python package (pybind11 module for /usr/bin/python3), its tests and
  # DataFrames
  pybind11-dev python3-dev python3-pytest python3-pandas
  # deployment file checks: systemd-analyze verify, the DaemonSet YAML
  systemd python3-yaml
  # peers for bench/
  linux-perf bpftrace austin
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages, each directory pinned by its package-lock.json: web/ (the UI's
# uPlot, embedded into ember by the build) and tests/e2e (puppeteer-core and
# playwright-core drive Debian's chromium, no browser is downloaded;
# speedscope's schema and page).
npm_ci() {
  local dir="$1"
  if cmp -s "$dir/package-lock.json" "$dir/node_modules/.ember-installed-lock" 2>/dev/null; then
    return
  fi
  if ! command -v npm >/dev/null; then  # a fresh Debian: Debian's nodejs + npm
    echo "install-deps: installing npm"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm
  fi
  echo "install-deps: npm ci in $dir"
  (cd "$dir" && PUPPETEER_SKIP_DOWNLOAD=1 PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
     npm ci --no-audit --no-fund --loglevel=error &&
     cp package-lock.json node_modules/.ember-installed-lock)
}
root="$(dirname "$0")/.."
npm_ci "$root/web"
npm_ci "$root/tests/e2e"
