/**
 * Packet capture from the first frame: tcpdump in a node's namespace, recording one interface
 * into a pcap file, as a daemon of the lab: started with a pid file, noted once it runs (its pid,
 * start time and command line, lib/exec/daemon.ts) and stopped by its undo only while it still is
 * that very process, like netkit's other daemons.
 *
 * tcpdump (libpcap) refuses an interface that is down ("That device is not up"), so the step
 * first sets the interface up; the lab plans it before the interface gets its addresses, so the
 * node sends nothing over it before tcpdump runs but its IPv6 link-local chatter. busybox
 * `start-stop-daemon` returns once tcpdump is executed (it forks with `vfork`, which waits for
 * the child's `exec`), not once it listens: the few milliseconds in between are the only frames a
 * capture can miss. Because it returns only after the `exec`, the record notes tcpdump's own
 * command line, not the starter's.
 *
 * Should netkit be killed in the instant between starting tcpdump and noting it, there is no
 * record; tcpdump names no pid file on its command line (start-stop-daemon writes it, `-m`), but
 * it names its pcap file, which is the lab's own: the undo stops the tcpdump that is `tcpdump`,
 * runs as the pid file says and writes that very file (lib/exec/daemon.ts), and no other.
 *
 * Bounds (a lab file must not be able to fill `/run`, a tmpfs in memory): at most 1600 bytes of
 * each frame (`-s 1600`: every header, and whole frames up to the MTU; veth's TSO super-frames
 * are cut) and 50000 frames (`-c 50000`), so one capture stays under 80 MB. tcpdump writes each
 * frame as it comes (`-U`), so the file is readable while it grows, and a stopped capture is whole.
 *
 * @module
 */
import { join } from "node:path";
import { checkIfname, checkNsName } from "../names.ts";
import { cmd, inNs, ip, type Step } from "../plan/step.ts";

/** The most frames a lab's capture records. */
const CAPTURE_MAX_FRAMES = 50_000;
/** The most bytes of one frame a lab's capture records. */
const CAPTURE_SNAPLEN = 1600;

/** Options for {@link capture}. */
export interface CaptureOptions {
  /** Where the pcap file goes: the lab's capture directory (see `captureDir()`). */
  dir: string;
  /** Where the pid file goes: the lab's state directory. */
  stateDir: string;
}

/** The files of a capture started by {@link capture}: `DIR/NS/IF.pcap` and its pid file. */
export function captureFiles(options: CaptureOptions, ns: string, ifname: string) {
  return {
    pcap: join(options.dir, ns, `${ifname}.pcap`),
    pid: join(options.stateDir, `tcpdump-${ns}@${ifname}.pid`),
  };
}

/**
 * `ip netns exec NS busybox start-stop-daemon -S -b -m -p PIDFILE -x tcpdump -- -i IF -U -s 1600
 * -c 50000 --immediate-mode -w DIR/NS/IF.pcap`: records every frame on interface IF of namespace
 * NS into a pcap file (after `ip -n NS link set dev IF up`, which libpcap needs). Once it runs,
 * netkit notes who it is (pid, start time, command line: lib/exec/daemon.ts). Undo: it is stopped
 * (shown as `pkill -F PIDFILE -x tcpdump`) only while it still is that very process, then the pid
 * file is removed; the pcap file stays.
 *
 * @param ns The namespace that holds the interface.
 * @param ifname The interface to record.
 * @param options Where the pcap and pid files go.
 * @returns The step; it runs nothing.
 * @example Record what the router lab's upstream sees
 * ```ts
 * import { capture } from "../../mod.ts";
 * capture("wan", "eth0", {
 *   dir: "/run/netkit/captures/router",
 *   stateDir: "/run/netkit/labs/router",
 * });
 * ```
 */
export function capture(ns: string, ifname: string, options: CaptureOptions): Step {
  checkNsName(ns);
  checkIfname(ifname);
  const files = captureFiles(options, ns, ifname);
  return {
    key: `daemon:tcpdump@${ns}/${ifname}`,
    summary: `record ${ifname} in ${ns} into ${files.pcap}`,
    do: [
      ip(ns, "link", "set", "dev", ifname, "up"),
      cmd("mkdir", "-p", join(options.dir, ns)),
      cmd(...inNs(ns, [
        "busybox",
        "start-stop-daemon",
        "-S",
        "-b",
        "-m",
        "-p",
        files.pid,
        "-x",
        "tcpdump",
        "--",
        "-i",
        ifname,
        "-U",
        "-s",
        String(CAPTURE_SNAPLEN),
        "-c",
        String(CAPTURE_MAX_FRAMES),
        "--immediate-mode",
        "-w",
        files.pcap,
      ])),
      { recordDaemon: files.pid, program: "tcpdump", named: files.pcap },
    ],
    undo: [
      { stopDaemon: files.pid, program: "tcpdump", named: files.pcap },
      { remove: files.pid },
    ],
    pidFile: files.pid,
  };
}
