/**
 * Two commands the real runner (runner.ts) carries out in this process, through Deno FFI to
 * libc, instead of spawning them: a namespace's `nsenter --net=/run/netns/NS ip -batch -` when
 * every line is one of the few commands below (over rtnetlink), and
 * `nsenter --net=/run/netns/NS sysctl -q -w net.KEY=VALUE...` (writes to `/proc/sys/net/...`
 * opened from inside the namespace). Anything else, and the runner spawns the process. The effect is the same: the same netlink requests `ip`
 * sends, in the same namespace, line after line, stopping at the first failure with the message
 * `ip` would print (`Cannot find device "X"`, the kernel's `Error: ...`, or `RTNETLINK answers:
 * ...`) and `Command failed -:N`. Dry-run and export show the plan's `ip -n NS ...` lines.
 *
 * Why: a lab's namespaces each need a few commands (loopback up, addresses, links up, routes;
 * forwarding on in a router). Measured at 1,000 namespaces (bench/RESULTS.md), a process per
 * namespace (Deno's spawn, exec of nsenter and ip, ip's shared libraries) cost about 2-7 ms
 * each; the same requests from here cost about 0.2-0.7 ms, and the bring-up's peak memory stays
 * flat.
 *
 * How: the only namespace switch is `setns()` around `socket()` (a netlink socket belongs to
 * the namespace it was made in) or around the writes to `/proc/sys/net` (which answer for the
 * namespace of the thread that opens them), on this thread, restored before any other code runs.
 * Without FFI (`--allow-ffi`, glibc's `libc.so.6`) or without the namespace file, the runner
 * spawns the process as before.
 *
 * The commands (words after `ip`; anything else, and the whole batch goes to `ip`):
 *
 * - `link set dev NAME` with any of `up`, `down`, `addrgenmode none|eui64|stable_secret|random`,
 *   `name NEW`;
 * - `addr add A.B.C.D/N dev NAME`;
 * - `route add default|A.B.C.D/N [via A.B.C.D] [dev NAME]`.
 *
 * @module
 */
import type { RunResult } from "./result.ts";

// linux/netlink.h, linux/rtnetlink.h, linux/if_link.h, linux/if_addr.h
const AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16;
const SOCK_RAW = 3, SOCK_CLOEXEC = 0o2000000, O_RDONLY_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0, SOL_NETLINK = 270, NETLINK_EXT_ACK = 11;
const CLONE_NEWNET = 0x40000000, MSG_DONTWAIT = 0x40, ENODEV = 19;
const NLM_F_REQUEST = 1, NLM_F_ACK = 4, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400;
const NLM_F_CAPPED = 0x100, NLM_F_ACK_TLVS = 0x200, NLMSGERR_ATTR_MSG = 1;
const NLMSG_ERROR = 2, RTM_NEWLINK = 16, RTM_GETLINK = 18, RTM_NEWADDR = 20, RTM_NEWROUTE = 24;
const IFLA_IFNAME = 3, IFLA_AF_SPEC = 26, IFLA_EXT_MASK = 29, IFLA_INET6_ADDR_GEN_MODE = 8;
const RTEXT_FILTER_SKIP_STATS = 8, IFF_UP = 1;
const IFA_ADDRESS = 1, IFA_LOCAL = 2, RTA_DST = 1, RTA_OIF = 4, RTA_GATEWAY = 5;
const RT_TABLE_MAIN = 254, RTPROT_BOOT = 3, RTN_UNICAST = 1;
const RT_SCOPE_UNIVERSE = 0, RT_SCOPE_LINK = 253, RT_SCOPE_HOST = 254;
const ADDR_GEN_MODES = new Map([["eui64", 0], ["none", 1], ["stable_secret", 2], ["random", 3]]);

/** One line of the batch, understood. */
type Request =
  | { kind: "link"; dev: string; up?: boolean; addrgenmode?: number; name?: string }
  | { kind: "addr"; dev: string; address: number[]; prefix: number }
  | { kind: "route"; to: number[]; prefix: number; via?: number[]; dev?: string };

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const IFNAME = /^[^\s/]{1,15}$/;

function ipv4(text: string | undefined): number[] | undefined {
  const m = IPV4.exec(text ?? "");
  const octets = m?.slice(1).map(Number);
  return octets && octets.every((o) => o <= 255) ? octets : undefined;
}

function cidr(text: string | undefined): { address: number[]; prefix: number } | undefined {
  const [a, p, extra] = (text ?? "").split("/");
  const address = ipv4(a);
  const prefix = /^\d{1,2}$/.test(p ?? "") ? Number(p) : NaN;
  return address && extra === undefined && prefix <= 32 ? { address, prefix } : undefined;
}

/** The request a batch line stands for, or undefined when this module does not handle it. */
export function parseLine(line: string): Request | undefined {
  const w = line.trim().split(/\s+/);
  if (w[0] === "link" && w[1] === "set" && w[2] === "dev" && IFNAME.test(w[3] ?? "")) {
    const request: Request = { kind: "link", dev: w[3]! };
    for (let i = 4; i < w.length; i++) {
      const word = w[i]!;
      if ((word === "up" || word === "down") && request.up === undefined) {
        request.up = word === "up";
      } else if (word === "addrgenmode" && request.addrgenmode === undefined) {
        const mode = ADDR_GEN_MODES.get(w[++i] ?? "");
        if (mode === undefined) return undefined;
        request.addrgenmode = mode;
      } else if (word === "name" && request.name === undefined && IFNAME.test(w[i + 1] ?? "")) {
        request.name = w[++i]!;
      } else return undefined;
    }
    return w.length > 4 ? request : undefined;
  }
  if ((w[0] === "addr" || w[0] === "address") && w[1] === "add" && w.length === 5) {
    const c = cidr(w[2]);
    if (!c || w[3] !== "dev" || !IFNAME.test(w[4] ?? "")) return undefined;
    return { kind: "addr", dev: w[4]!, ...c };
  }
  if (w[0] === "route" && w[1] === "add" && w.length >= 5 && w.length % 2 === 1) {
    const c = w[2] === "default" ? { address: [0, 0, 0, 0], prefix: 0 } : cidr(w[2]);
    if (!c) return undefined;
    const request: Request = { kind: "route", to: c.address, prefix: c.prefix };
    for (let i = 3; i < w.length; i += 2) {
      const [key, value] = [w[i], w[i + 1]];
      if (key === "via" && request.via === undefined && ipv4(value)) request.via = ipv4(value)!;
      else if (key === "dev" && request.dev === undefined && IFNAME.test(value ?? "")) {
        request.dev = value!;
      } else return undefined;
    }
    return request;
  }
  return undefined;
}

// ---- FFI ----

const SYMBOLS = {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  setns: { parameters: ["i32", "i32"], result: "i32" },
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
  strerror: { parameters: ["i32"], result: "pointer" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
let libc: Libc | null | undefined; // null: unavailable
let home = -1; // this thread's own network namespace

const enc = new TextEncoder();
const cstring = (s: string) => enc.encode(`${s}\0`);

function load(): Libc | null {
  if (libc !== undefined) return libc;
  try {
    libc = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
    home = libc.open(cstring("/proc/thread-self/ns/net"), O_RDONLY_CLOEXEC);
    if (home < 0) libc = null;
  } catch {
    libc = null; // no --allow-ffi, no glibc
  }
  return libc;
}

function errno(c: Libc): number {
  const p = c.__errno_location();
  return p === null ? 0 : new Deno.UnsafePointerView(p).getInt32();
}

function strerror(c: Libc, code: number): string {
  const p = c.strerror(code);
  return p === null ? `errno ${code}` : Deno.UnsafePointerView.getCString(p);
}

/**
 * Runs `fn` (synchronous: nothing else runs meanwhile) on this thread inside the network
 * namespace at `path`, and comes back. Undefined when the namespace cannot be entered.
 */
function withNetns<T>(c: Libc, path: string, fn: () => T): { value: T } | undefined {
  const nsfd = c.open(cstring(path), O_RDONLY_CLOEXEC);
  if (nsfd < 0) return undefined;
  const entered = c.setns(nsfd, CLONE_NEWNET) === 0;
  c.close(nsfd);
  if (!entered) return undefined;
  let outcome: { value: T } | { error: unknown };
  try {
    outcome = { value: fn() };
  } catch (error) {
    outcome = { error };
  }
  if (c.setns(home, CLONE_NEWNET) !== 0) {
    // Never go on in a lab's namespace: every later process would start in it.
    throw new Error(`Cannot return to netkit's own network namespace: ${strerror(c, errno(c))}`);
  }
  if ("error" in outcome) throw outcome.error;
  return outcome;
}

/** A netlink socket in namespace file `path`, or undefined (the process path then reports). */
function socketIn(c: Libc, path: string): number | undefined {
  const fd = withNetns(c, path, () => c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE))
    ?.value;
  if (fd === undefined || fd < 0) return undefined;
  c.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, new Int32Array([1]), 4);
  return fd;
}

// ---- messages ----

class Message {
  private parts: Uint8Array[] = [];
  constructor(readonly type: number, readonly flags: number, header: Uint8Array) {
    this.parts.push(header);
  }
  attr(type: number, data: Uint8Array): this {
    this.parts.push(attr(type, data));
    return this;
  }
  bytes(seq: number, flags = 0): Uint8Array {
    const body = concat(this.parts);
    const out = new Uint8Array(16 + body.length);
    const v = new DataView(out.buffer);
    v.setUint32(0, out.length, true);
    v.setUint16(4, this.type, true);
    v.setUint16(6, this.flags | flags | NLM_F_REQUEST, true);
    v.setUint32(8, seq, true);
    out.set(body, 16);
    return out;
  }
}

function attr(type: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array((4 + data.length + 3) & ~3);
  const v = new DataView(out.buffer);
  v.setUint16(0, 4 + data.length, true);
  v.setUint16(2, type, true);
  out.set(data, 4);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);

function ifinfomsg(index: number, flags = 0, change = 0): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setInt32(4, index, true);
  v.setUint32(8, flags, true);
  v.setUint32(12, change, true);
  return b;
}

/** Where replies land: one buffer for the process (every exchange is synchronous). */
const reply = new Uint8Array(65536);

/** A failed line: what `ip` would print. */
class LineError extends Error {}

/** One batch over one socket. */
class Session {
  private seq = 1;
  private indexes = new Map<string, number>();
  constructor(private readonly c: Libc, private readonly fd: number) {}

  /** Sends `m`, returns the reply (the kernel answers rtnetlink at once, in sendmsg). */
  private exchange(m: Message, flags = 0): DataView {
    const seq = this.seq++;
    const bytes = m.bytes(seq, flags);
    if (Number(this.c.send(this.fd, bytes, BigInt(bytes.length), 0)) < 0) {
      throw new LineError(`RTNETLINK answers: ${strerror(this.c, errno(this.c))}`);
    }
    for (;;) {
      const n = Number(this.c.recv(this.fd, reply, BigInt(reply.length), MSG_DONTWAIT));
      if (n < 16) throw new LineError(`RTNETLINK answers: ${strerror(this.c, errno(this.c))}`);
      const v = new DataView(reply.buffer, 0, n);
      if (v.getUint32(8, true) === seq) return v;
    }
  }

  /** Sends `m` with an acknowledgement asked for; throws {@link LineError} on an error. */
  private request(m: Message): void {
    const v = this.exchange(m, NLM_F_ACK);
    if (v.getUint16(4, true) !== NLMSG_ERROR) return;
    const error = -v.getInt32(16, true);
    if (error !== 0) throw new LineError(this.describe(v, error));
  }

  /** The kernel's extended-ack message when it gave one, else `RTNETLINK answers: ...`. */
  private describe(v: DataView, error: number): string {
    const flags = v.getUint16(6, true);
    if (flags & NLM_F_ACK_TLVS) {
      // after the error code: the request's header (capped) or the whole request
      let at = 20 + (flags & NLM_F_CAPPED ? 16 : v.getUint32(20, true));
      while (at + 4 <= v.byteLength) {
        const len = v.getUint16(at, true), type = v.getUint16(at + 2, true);
        if (len < 4) break;
        if (type === NLMSGERR_ATTR_MSG) {
          const text = new TextDecoder().decode(
            new Uint8Array(v.buffer, v.byteOffset + at + 4, len - 4),
          ).replace(/\0.*$/s, "");
          if (text) return `Error: ${text}${text.endsWith(".") ? "" : "."}`;
        }
        at += (len + 3) & ~3;
      }
    }
    return `RTNETLINK answers: ${strerror(this.c, error)}`;
  }

  /** The index of interface `name` (as `ip` resolves `dev NAME`). */
  private index(name: string): number {
    const known = this.indexes.get(name);
    if (known !== undefined) return known;
    const v = this.exchange(
      new Message(RTM_GETLINK, 0, ifinfomsg(0))
        .attr(IFLA_IFNAME, cstring(name))
        .attr(IFLA_EXT_MASK, u32(RTEXT_FILTER_SKIP_STATS)),
    );
    if (v.getUint16(4, true) === NLMSG_ERROR) {
      const error = -v.getInt32(16, true);
      throw new LineError(
        error === ENODEV ? `Cannot find device "${name}"` : this.describe(v, error),
      );
    }
    const index = v.getInt32(20, true);
    this.indexes.set(name, index);
    return index;
  }

  run(r: Request): void {
    if (r.kind === "link") {
      const index = this.index(r.dev);
      const up = r.up === undefined ? 0 : r.up ? IFF_UP : 0;
      const m = new Message(RTM_NEWLINK, 0, ifinfomsg(index, up, r.up === undefined ? 0 : IFF_UP));
      if (r.name !== undefined) m.attr(IFLA_IFNAME, cstring(r.name));
      if (r.addrgenmode !== undefined) {
        const mode = attr(IFLA_INET6_ADDR_GEN_MODE, new Uint8Array([r.addrgenmode]));
        m.attr(IFLA_AF_SPEC, attr(AF_INET6, mode));
      }
      this.request(m);
      if (r.name !== undefined) {
        this.indexes.delete(r.dev);
        this.indexes.set(r.name, index);
      }
    } else if (r.kind === "addr") {
      const header = new Uint8Array(8);
      header[0] = AF_INET;
      header[1] = r.prefix;
      header[3] = r.address[0] === 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
      new DataView(header.buffer).setUint32(4, this.index(r.dev), true);
      const address = new Uint8Array(r.address);
      this.request(
        new Message(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, header)
          .attr(IFA_LOCAL, address)
          .attr(IFA_ADDRESS, address),
      );
    } else {
      const header = new Uint8Array(12);
      header[0] = AF_INET;
      header[1] = r.prefix;
      header[4] = RT_TABLE_MAIN;
      header[5] = RTPROT_BOOT;
      header[6] = r.via === undefined ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
      header[7] = RTN_UNICAST;
      const m = new Message(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, header);
      if (r.prefix > 0) m.attr(RTA_DST, new Uint8Array(r.to));
      if (r.via !== undefined) m.attr(RTA_GATEWAY, new Uint8Array(r.via));
      if (r.dev !== undefined) m.attr(RTA_OIF, u32(this.index(r.dev)));
      this.request(m);
    }
  }
}

/**
 * Runs `script` (the lines of an `ip -batch`) in the network namespace at `nsPath` over
 * rtnetlink, as `ip -batch -` would: line by line, stopping at the first failure. Returns what
 * the process would have returned, or undefined when this process cannot do it (a line it does
 * not handle, no FFI, no namespace file): then nothing was done.
 */
export function ipBatchInProcess(nsPath: string, script: string): RunResult | undefined {
  const lines = script.split("\n").filter((l) => l.trim() !== "");
  const requests = lines.map(parseLine);
  if (requests.some((r) => r === undefined)) return undefined;
  const c = load();
  if (!c) return undefined;
  const fd = socketIn(c, nsPath);
  if (fd === undefined) return undefined;
  const session = new Session(c, fd);
  try {
    for (const [i, r] of requests.entries()) {
      try {
        session.run(r!);
      } catch (error) {
        if (!(error instanceof LineError)) throw error;
        return { code: 1, stdout: "", stderr: `${error.message}\nCommand failed -:${i + 1}\n` };
      }
    }
    return { code: 0, stdout: "", stderr: "" };
  } finally {
    c.close(fd);
  }
}

const O_WRONLY_CLOEXEC = 0o1 | 0o2000000, ENOENT = 2;

/**
 * Sets network sysctls (`net.KEY=VALUE` words) in the network namespace at `nsPath` as
 * `sysctl -q -w` does: each value and a newline written to `/proc/sys/net/...`, every key tried,
 * exit 1 and sysctl's own message for each that failed. Undefined when this process cannot do
 * it (no FFI, no namespace file): then nothing was done.
 */
export function sysctlInProcess(nsPath: string, sets: readonly string[]): RunResult | undefined {
  const c = load();
  if (!c) return undefined;
  const done = withNetns(c, nsPath, () =>
    sets.map((set) => {
      const at = set.indexOf("=");
      const [key, value] = [set.slice(0, at), set.slice(at + 1)];
      const path = `/proc/sys/${key.replaceAll(".", "/")}`;
      const fd = c.open(cstring(path), O_WRONLY_CLOEXEC);
      if (fd < 0) {
        const code = errno(c);
        return code === ENOENT
          ? `sysctl: cannot stat ${path}: ${strerror(c, code)}`
          : `sysctl: permission denied on key "${key}"`;
      }
      try {
        const bytes = enc.encode(`${value}\n`);
        if (Number(c.write(fd, bytes, BigInt(bytes.length))) < 0) {
          return `sysctl: setting key "${key}": ${strerror(c, errno(c))}`;
        }
        return "";
      } finally {
        c.close(fd);
      }
    }));
  if (!done) return undefined;
  const errors = done.value.filter((e) => e !== "");
  return errors.length
    ? { code: 1, stdout: "", stderr: errors.map((e) => `${e}\n`).join("") }
    : { code: 0, stdout: "", stderr: "" };
}
