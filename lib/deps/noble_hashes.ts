/**
 * @noble/hashes, SHA-256 in plain JavaScript, synchronous: the ids netkit derives from a lab's
 * names (lib/ovs/ids.ts). Large files are hashed by `node:crypto` where a command needs it
 * (multi-host provisioning), which is native and streams.
 *
 * @module
 */
export { sha256 } from "npm:@noble/hashes@2.4.0/sha2.js";
export { bytesToHex, utf8ToBytes } from "npm:@noble/hashes@2.4.0/utils.js";
