/**
 * How netkit marks the OVS objects that cannot carry `external_ids:netkit-lab` alone, so that
 * `down` (and a rollback) removes exactly the lab's own and nothing else:
 *
 * - **OpenFlow flows** have no external_ids: each of a lab's flows carries a cookie whose upper 32
 *   bits are the lab's mark (from a hash of the lab name) and whose lower 32 bits are the flow's
 *   1-based position in its bridge's `flows`. Undo deletes that one cookie
 *   (`del-flows … cookie=0x…/-1`), never the bridge's other flows; status lists the lab's flows
 *   with the mask `cookie=0xMARK00000000/0xffffffff00000000`.
 * - **Mirror and QoS rows** are created with a UUID of netkit's choosing (`ovs-vsctl
 *   --id=UUID create …`), derived from the lab, the bridge or port, and the object's name. Undo
 *   removes that UUID only (`remove bridge BR mirrors UUID`, `destroy qos UUID`): mirror names
 *   need not be unique in OVS, and a name lookup could hit someone else's row.
 *
 * @module
 */
import { bytesToHex, sha256, utf8ToBytes } from "../deps/noble_hashes.ts";

const digest = (text: string) => bytesToHex(sha256(utf8ToBytes(text)));

/** The lab's cookie mark: 8 hex digits (the upper 32 bits of each of its flows' cookies). */
export function labCookieMark(lab: string): string {
  return digest(`netkit-lab:${lab}`).slice(0, 8);
}

/** The cookie of the `index`-th (0-based) flow of a lab's bridge: `0xMARKNNNNNNNN`. */
export function flowCookie(lab: string, index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= 0xffffffff) {
    throw new RangeError(`flow index ${index} is out of range`);
  }
  return `0x${labCookieMark(lab)}${(index + 1).toString(16).padStart(8, "0")}`;
}

/** The `cookie=VALUE/MASK` that selects every flow of `lab`. */
export function labCookieMatch(lab: string): string {
  return `cookie=0x${labCookieMark(lab)}00000000/0xffffffff00000000`;
}

/** A UUID (version-4 layout) that depends only on `parts`: the same lab makes the same id. */
export function labUuid(...parts: string[]): string {
  const h = digest(`netkit-uuid:${parts.join("\u0000")}`);
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${
    h.slice(20, 32)
  }`;
}
