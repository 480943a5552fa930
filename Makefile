# netkit — every target installs what it needs first (Debian/Ubuntu, as root).
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

DENO_VERSION := 2.9.6
TOOLS_DIR := .tools
DENO := $(shell command -v deno 2>/dev/null || echo $(CURDIR)/$(TOOLS_DIR)/node_modules/.bin/deno)
APT_PACKAGES := iproute2 openvswitch-switch dnsmasq-base iptables nftables iputils-ping busybox tcpdump procps shellcheck
NEEDED_TOOLS := ip ovs-vsctl ovs-vswitchd ovsdb-server dnsmasq iptables nft ping busybox tcpdump pkill shellcheck

.PHONY: deps demo test unit integration lint bench bundle compile clean-host

# Deno from PATH, else from the npm registry; the Debian packages labs need.
deps:
	@missing=""; for t in $(NEEDED_TOOLS); do command -v $$t >/dev/null || missing=1; done
	if [ -n "$$missing" ]; then
	  echo "make: installing Debian packages: $(APT_PACKAGES)"
	  apt-get update -qq
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES) >/dev/null
	fi
	if [ ! -x "$(DENO)" ]; then
	  echo "make: installing deno@$(DENO_VERSION) from the npm registry into $(TOOLS_DIR)/"
	  npm install --silent --no-audit --no-fund --prefix $(TOOLS_DIR) deno@$(DENO_VERSION) 2>/dev/null
	fi
	"$(DENO)" --version | head -1

# netkit's main job: a recipe brought up, proved, shown and removed.
demo: deps
	"$(DENO)" run -A main.ts recipe ovs-internal
	"$(DENO)" run -A main.ts down ovs-internal

# Files whose @example blocks need root or a running OVS: type-checked, never run by lint.
DOC_NEEDS_ROOT := lib/session.ts lib/lab/runtime.ts lib/ovs/query.ts lib/ovs/instance.ts lib/check/probes.ts
DOC_RUN = $(filter-out $(DOC_NEEDS_ROOT),$(shell grep -rl '```ts' lib))

# Formatting, lint, types, every @example type-checked (the ones that need no root also run),
# and the public API's documentation (deno doc --lint).
lint: deps
	"$(DENO)" fmt --check
	"$(DENO)" lint
	"$(DENO)" check main.ts mod.ts examples/ recipes/ tests/
	"$(DENO)" check --doc-only mod.ts README.md lib/ recipes/
	"$(DENO)" doc --lint mod.ts
	"$(DENO)" test -A --doc $(DOC_RUN)

# Every test: unit and integration (real namespaces, OVS, dnsmasq, udhcpc), as root.
test: deps lint
	@status=0
	NO_COLOR=1 "$(DENO)" test -A --no-check=remote tests/ 2>&1 | tee .test-output.txt || status=$$?
	summary=$$(grep -E '^(ok|FAILED) \|' .test-output.txt | tail -1 || true)
	rm -f .test-output.txt
	passed=$$(sed -nE 's/.* ([0-9]+) passed.*/\1/p' <<<"$$summary")
	failed=$$(sed -nE 's/.* ([0-9]+) failed.*/\1/p' <<<"$$summary")
	skipped=$$(sed -nE 's/.* ([0-9]+) ignored.*/\1/p' <<<"$$summary") # deno says "ignored"
	echo "$${passed:-0} passed, $${failed:-0} failed, $${skipped:-0} skipped"
	exit $$status

unit: deps
	"$(DENO)" test -A tests/unit/

integration: deps
	"$(DENO)" test -A tests/integration/

bench: deps
	if ! command -v mn >/dev/null || ! command -v brctl >/dev/null; then
	  echo "make: installing Mininet and bridge-utils (Debian) for the comparison"
	  apt-get update -qq
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mininet bridge-utils >/dev/null
	fi
	"$(DENO)" run -A bench/bench.ts

# One JS file with everything in it (works offline); see tests/integration/bundle_test.ts.
bundle: deps
	mkdir -p dist
	"$(DENO)" bundle --platform=deno -o dist/netkit.js main.ts

# Single executables. deno compile downloads its runtime (denort, from dl.deno.land) the first
# time: without a network connection this says so in one line and fails.
compile: deps
	@mkdir -p dist
	for target in x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu; do
	  if ! NO_COLOR=1 "$(DENO)" compile -q -A --target $$target -o dist/netkit-$$target main.ts \
	      2>.compile-err.txt >/dev/null; then
	    if grep -q denort .compile-err.txt; then
	      echo "make compile: deno could not download its runtime (denort for $$target, from dl.deno.land): run make compile on a machine with a network connection, or use make bundle" >&2
	    else
	      echo "make compile: deno compile failed for $$target: $$(grep -m1 '^error' .compile-err.txt || head -1 .compile-err.txt)" >&2
	    fi
	    rm -f .compile-err.txt dist/netkit-$$target.tmp-*
	    exit 1
	  fi
	  echo "make compile: dist/netkit-$$target"
	done
	rm -f .compile-err.txt
