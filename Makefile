# netkit — every target installs what it needs first (Debian/Ubuntu, as root).
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

DENO_VERSION := 2.9.6
TOOLS_DIR := .tools
DENO := $(shell command -v deno 2>/dev/null || echo $(CURDIR)/$(TOOLS_DIR)/node_modules/.bin/deno)
# chromium: only the tests need it (netkit ui in a real browser, tests/integration/ui_test.ts);
# tmux too (netkit console and exec driven as a person uses them, tests/integration/console_test.ts).
APT_PACKAGES := iproute2 openvswitch-switch dnsmasq-base iptables nftables iputils-ping busybox tcpdump procps shellcheck iperf3 frr isc-dhcp-client openssh-server openssh-client util-linux chromium tmux
NEEDED_TOOLS := ip ovs-vsctl ovs-ofctl ovs-vswitchd ovsdb-server dnsmasq iptables nft ping busybox tcpdump pkill shellcheck iperf3 /usr/lib/frr/zebra vtysh dhclient ssh ssh-keygen /usr/sbin/sshd unshare nsenter chromium tmux

# make install: where (PREFIX, DESTDIR for packaging) and what goes there.
PREFIX ?= /usr/local
DESTDIR ?=
HOST_TARGET := $(shell uname -m)-unknown-linux-gnu
INSTALLED_FILES := bin/netkit lib/netkit/netkit.js lib/netkit/deno share/netkit/lab.schema.json \
  share/man/man1/netkit.1 share/bash-completion/completions/netkit \
  share/zsh/site-functions/_netkit share/fish/vendor_completions.d/netkit.fish
# Deepest first; each removed by uninstall only when empty.
INSTALLED_DIRS := lib/netkit share/netkit share/doc share/man/man1 share/man \
  share/bash-completion/completions share/bash-completion share/zsh/site-functions share/zsh \
  share/fish/vendor_completions.d share/fish share lib bin

.PHONY: deps demo multihost-demo bench-multihost test unit integration lint bench bundle compile schema docs install uninstall clean-host

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
	@echo "Next (works before make install): $(DENO) run -A main.ts recipe list"

# A lab over two machines, on this one: two simulated hosts (namespaces with their own /run and
# Debian's sshd) on an underlay bridge, the lab brought up over SSH, proved, shown, removed. All
# of it inside a network + mount namespace of its own, so the machine's network is never touched.
multihost-demo: deps
	unshare --net --mount --propagation private -- bash -c 'mount -t tmpfs -o mode=0755 nk-demo-run /run && mkdir -p /run/lock && ip link set lo up && exec "$$0" run -A examples/multihost_demo.ts' "$(DENO)"

# Files whose @example blocks need root or a running OVS: type-checked, never run by lint.
DOC_NEEDS_ROOT := lib/session.ts lib/lab/runtime.ts lib/ovs/query.ts lib/ovs/instance.ts lib/ovs/flows.ts \
  lib/check/probes.ts
DOC_RUN = $(filter-out $(DOC_NEEDS_ROOT),$(shell grep -rl '```ts' lib))

# Formatting, lint, the house's shape (no import cycle among netkit's modules, no function over
# 120 lines: tools/shape_check.ts), types, every @example type-checked (the ones that need no
# root also run), and the public API's documentation (deno doc --lint).
lint: deps
	"$(DENO)" fmt --check
	"$(DENO)" lint
	"$(DENO)" run -A tools/shape_check.ts --max-fn 120
	"$(DENO)" check main.ts mod.ts bundle.ts examples/ recipes/ tests/ tools/
	"$(DENO)" check --doc-only mod.ts README.md docs/*.md lib/ recipes/
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
	$(MAKE) -s --no-print-directory compile
	"$(DENO)" run -A bench/onefile.ts # the one file's first and warm start, beside the launcher

# The lab file's JSON Schema, generated from the zod schemas (tests/unit/schema_test.ts checks it),
# and the lab file reference made from it.
schema: deps
	"$(DENO)" run -A main.ts schema > schema/lab.schema.json
	$(MAKE) -s --no-print-directory docs

# docs/lab-file-reference.md: every lab-file key, generated from the JSON Schema by
# tools/lab_reference.ts (tests/unit/lab_reference_test.ts checks the file is up to date).
docs: deps
	"$(DENO)" run -A tools/lab_reference.ts > docs/lab-file-reference.md

# The library in one file (dist/netkit.js) and the CLI's code-split build (dist/netkit-cli/). What a
# command does not use stays out of its start (Node's compatibility layer, 15-25 ms; the other
# commands' modules and elkjs): the bundles take plain-JavaScript packages for the Node built-ins
# netkit imports and yaml's ES module build (build/bundle_imports.ts writes the import map), and
# tools/defer_chunks.ts rewrites what deno bundle makes eager.
define BUILD_BUNDLES
"$(DENO)" run -A build/bundle_imports.ts dist
"$(DENO)" bundle --quiet --platform=deno --import-map dist/bundle-imports.json -o dist/netkit.js bundle.ts
"$(DENO)" run -A tools/defer_chunks.ts dist/netkit.js
chmod 0755 dist/netkit.js # it starts with #!: ./netkit.js runs where Deno is on PATH
rm -rf dist/netkit-cli
"$(DENO)" bundle --quiet --platform=deno --import-map dist/bundle-imports.json --code-splitting --outdir dist/netkit-cli main.ts
"$(DENO)" run -A tools/defer_chunks.ts dist/netkit-cli
endef

# One JS file with everything in it (works offline); see tests/integration/bundle_test.ts.
bundle: deps
	mkdir -p dist
	$(BUILD_BUNDLES)

# A netkit command on PATH: dist/netkit-<this machine> where make compile made it (the one file a
# lab VM gets: installed and copied netkit are the same thing), else (or with LAUNCHER=1) the
# bundle with a launcher that runs it with a copy of make's Deno beside it, so the command names
# nothing outside PREFIX and survives the repository or that Deno moving or going away. The
# launcher runs the CLI's code-split build (lib/netkit/netkit-cli/: a command loads only the
# modules it needs; the one-file bundle beside it is the library of netkit run and what a
# multi-host controller copies, lib/multihost/program.ts). Completions and the man page are
# generated from the command definitions (netkit completions, netkit man).
LAUNCHER ?=
install: deps
	@root="$(DESTDIR)$(PREFIX)"
	if [ -z "$(LAUNCHER)" ] && [ -x dist/netkit-$(HOST_TARGET) ]; then
	  install -D -m 0755 dist/netkit-$(HOST_TARGET) "$$root/bin/netkit"
	  echo "make install: $(PREFIX)/bin/netkit (the one file dist/netkit-$(HOST_TARGET))"
	else
	  mkdir -p dist
	  $(BUILD_BUNDLES)
	  install -D -m 0644 dist/netkit.js "$$root/lib/netkit/netkit.js"
	  "$(DENO)" run -A tools/ship_types.ts "$$root/lib/netkit" >/dev/null # types for netkit init
	  rm -rf "$$root/lib/netkit/netkit-cli"
	  install -d "$$root/lib/netkit/netkit-cli"
	  install -m 0644 dist/netkit-cli/*.js "$$root/lib/netkit/netkit-cli/"
	  install -D -m 0755 "$$(readlink -f "$(DENO)")" "$$root/lib/netkit/deno"
	  mkdir -p "$$root/bin"
	  printf '%s\n' '#!/bin/sh' '# netkit: the bundle run by Deno (made by make install; make uninstall removes it).' \
	    "exec '$(PREFIX)/lib/netkit/deno' run -A --no-config '$(PREFIX)/lib/netkit/netkit-cli/main.js' \"\$$@\"" > "$$root/bin/netkit"
	  chmod 0755 "$$root/bin/netkit"
	  echo "make install: $(PREFIX)/bin/netkit (the bundle, run by $(PREFIX)/lib/netkit/deno)"
	fi
	netkit=("$(DENO)" run -A main.ts)
	install -d "$$root/share/man/man1" "$$root/share/bash-completion/completions" \
	  "$$root/share/zsh/site-functions" "$$root/share/fish/vendor_completions.d" "$$root/share/netkit"
	"$${netkit[@]}" man > "$$root/share/man/man1/netkit.1"
	"$${netkit[@]}" completions bash > "$$root/share/bash-completion/completions/netkit"
	"$${netkit[@]}" completions zsh > "$$root/share/zsh/site-functions/_netkit"
	"$${netkit[@]}" completions fish > "$$root/share/fish/vendor_completions.d/netkit.fish"
	"$${netkit[@]}" schema > "$$root/share/netkit/lab.schema.json"
	echo "make install: completions, man page (man netkit) and $(PREFIX)/share/netkit/lab.schema.json"
	# The guides and examples that --help and error messages name (docs/..., examples/...).
	rm -rf "$$root/share/doc/netkit"
	install -d "$$root/share/doc/netkit"
	cp -R README.md docs examples "$$root/share/doc/netkit/"
	echo "make install: the guides and examples in $(PREFIX)/share/doc/netkit"

# Removes exactly what make install put there (and the directories it leaves empty).
uninstall:
	@root="$(DESTDIR)$(PREFIX)"
	for f in $(INSTALLED_FILES); do rm -f "$$root/$$f"; done
	rm -rf "$$root/lib/netkit/netkit-cli" # the CLI's code-split build: its chunks' names vary
	rm -rf "$$root/lib/netkit/netkit-src" # the library's types (tools/ship_types.ts)
	rm -rf "$$root/share/doc/netkit" # the guides and examples
	for d in $(INSTALLED_DIRS); do
	  if [ -d "$$root/$$d" ]; then rmdir --ignore-fail-on-non-empty "$$root/$$d"; fi
	done
	echo "make uninstall: netkit removed from $(PREFIX)"

# One lab of 4 x 50 namespaces from the controller over SSH on 4 simulated hosts, against the
# same lab on one host (bench/RESULTS.md, "Multi-host"). Inside a namespace of its own.
bench-multihost: deps
	unshare --net --mount --propagation private -- bash -c 'mount -t tmpfs -o mode=0755 nk-bench-run /run && mkdir -p /run/lock && ip link set lo up && exec "$$0" run -A bench/multihost.ts' "$(DENO)"

# Single executables, dist/netkit-<target>, each one regular file that runs where there is no Deno.
# By default the one file of build/onefile.ts: a POSIX sh launcher followed by the Deno runtime for
# the target (from the npm registry's per-platform deno package, kept in .tools/runtime/) and
# netkit's bundle; the first run unpacks them into a cache entry named by their SHA-256
# (docs/one-file.md). It does all the installed netkit does, netkit run included. With
# DENORT_BIN=/path/to/denort (a runtime you point at), or COMPILE_WITH=deno on a machine that can
# download it from dl.deno.land, deno compile builds them instead (such a binary cannot run
# scripts: netkit run refuses there).
ONEFILE_TARGETS := x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu
COMPILE_WITH ?= $(if $(DENORT_BIN),deno,onefile)
RUNTIME_DIR := $(TOOLS_DIR)/runtime/deno-$(DENO_VERSION)
npm_platform = $(if $(filter x86_64-%,$(1)),linux-x64-glibc,linux-arm64-glibc)

compile: deps
	@mkdir -p dist
	if [ "$(COMPILE_WITH)" = deno ]; then
	  for target in $(ONEFILE_TARGETS); do
	    if ! NO_COLOR=1 "$(DENO)" compile -q -A --target $$target -o dist/netkit-$$target main.ts \
	        2>.compile-err.txt >/dev/null; then
	      if grep -q denort .compile-err.txt; then
	        echo "make compile: deno could not download its runtime (denort for $$target, from dl.deno.land): run plain make compile for the one-file build" >&2
	      else
	        echo "make compile: deno compile failed for $$target: $$(grep -m1 '^error' .compile-err.txt || head -1 .compile-err.txt)" >&2
	      fi
	      rm -f .compile-err.txt dist/netkit-$$target.tmp-*
	      exit 1
	    fi
	    echo "make compile: dist/netkit-$$target (deno compile)"
	  done
	  rm -f .compile-err.txt
	  exit 0
	fi
	$(BUILD_BUNDLES)
	for target in $(ONEFILE_TARGETS); do
	  $(MAKE) -s --no-print-directory $(RUNTIME_DIR)/$$target/deno
	  "$(DENO)" run -A build/onefile.ts --target $$target --runtime $(RUNTIME_DIR)/$$target/deno \
	    --bundle dist/netkit.js --cli dist/netkit-cli --out dist/netkit-$$target | sed 's/^/make compile: /'
	done

# The Deno runtime of a target, from the npm registry (the package holds the whole deno binary).
$(RUNTIME_DIR)/%/deno:
	@tmp=$$(mktemp -d)
	trap 'rm -rf "$$tmp"' EXIT
	echo "make: fetching the Deno $(DENO_VERSION) runtime for $* from the npm registry (@deno/$(call npm_platform,$*))"
	npm pack --silent --pack-destination "$$tmp" "@deno/$(call npm_platform,$*)@$(DENO_VERSION)" >/dev/null
	tar -xzf "$$tmp"/*.tgz -C "$$tmp" package/deno
	mkdir -p $(@D)
	mv -f "$$tmp/package/deno" $@.tmp
	chmod 0755 $@.tmp
	mv -f $@.tmp $@
