/**
 * netkit as a library: build Linux network labs from a Deno script.
 *
 * Every primitive (`createNs`, `vethPair`, `ovsAddPort`, `snat`, `dhcp`, ...) is pure: it returns
 * a {@link Step} (what it creates, the commands that create it, the commands that undo it) and
 * runs nothing. A {@link LabSession} from {@link openLab} applies steps, journaled, and removes
 * them all again; a whole lab description goes through {@link validateLab}, {@link upLab} and
 * {@link downLab}.
 *
 * How the primitives take their arguments: the first one names what the step makes or changes
 * (a namespace, an interface, a port); everything else is named in an options object, so a call
 * reads the same everywhere and types check it: `ovsAddPort("veth-a", { bridge: "br1" })`,
 * `bridgeAttach("veth-a", { bridge: "br0" })`, `vethPair("veth-a", { peer: "eth0", peerNs: "a" })`,
 * `dhcpClient("a", { interface: "eth0", stateDir })`. (The older positional forms still work and
 * are marked deprecated.)
 *
 * In a script's lab, `lab.add()` fills in what a step left open: owner marks carry the lab's
 * name, an OVS bridge gets the datapath this host supports, a DHCP server gets the checksum rule
 * OVS's userspace datapath needs. `netkit status`, `graph`, `check` and `down` work on the lab.
 *
 * @example Two namespaces on an OVS bridge, pinging
 * ```ts
 * import { addAddress, createNs, linkUp, openLab, ovsAddBridge, ovsAddPort, vethPair } from "./mod.ts";
 * await using lab = await openLab("demo");
 * await lab.add(createNs("a"), createNs("b"), ovsAddBridge("demo-br"));
 * for (const [ns, ip] of [["a", "10.9.0.1/24"], ["b", "10.9.0.2/24"]] as const) {
 *   await lab.add(
 *     vethPair(`demo-${ns}`, { peer: "eth0", peerNs: ns }),
 *     ovsAddPort(`demo-${ns}`, { bridge: "demo-br" }),
 *     linkUp(`demo-${ns}`),
 *     addAddress("eth0", ip, { ns }),
 *     linkUp("eth0", { ns }),
 *   );
 * }
 * console.log(await lab.pingAll()); // { nodes: ["a", "b"], lossPercent: 0, ... }
 * ```
 *
 * @module
 */

export { createNs, deleteNs, ipForward, ipv6Forward, sysctl } from "./lib/primitives/netns.ts";
export {
  addAddress,
  addRoute,
  type AddRouteOptions,
  dummyLink,
  type DummyLinkOptions,
  type InNsOptions,
  linkDown,
  linkUp,
  moveLink,
  noIpv6LinkLocal,
  renameLink,
  vethPair,
  type VethPairOptions,
} from "./lib/primitives/link.ts";
export {
  bridgeAttach,
  type BridgeAttachOptions,
  linuxBridge,
  type LinuxBridgeOptions,
} from "./lib/primitives/bridge.ts";
export {
  impair,
  impairClear,
  type ImpairOptions,
  type ImpairPresent,
  type ImpairSettings,
  NetemMissingError,
} from "./lib/primitives/impair.ts";
export { capture, type CaptureOptions } from "./lib/primitives/capture.ts";
export { type Pcap, PcapFormatError, type PcapRecord, readPcap } from "./lib/pcap.ts";
export { hasQdisc, type QdiscProbe } from "./lib/lab/qdisc.ts";
export {
  linkMtu,
  ovsMtu,
  VXLAN_OVERHEAD,
  VXLAN_PORT,
  vxlanFilterTable,
  vxlanLink,
  type VxlanLinkOptions,
  type VxlanSource,
  vxlanSourceFilter,
} from "./lib/primitives/vxlan.ts";
export {
  type HostSpec,
  type Inventory,
  loadInventory,
  parseInventory,
} from "./lib/multihost/inventory.ts";
export { uplink, type UplinkOptions, type UplinkRoute } from "./lib/primitives/uplink.ts";
export {
  ovsAddBridge,
  type OvsAddBridgeOptions,
  ovsAddInternalPort,
  ovsAddPort,
  type OvsAddPortOptions,
  ovsDelBridge,
  ovsDelPort,
  type OvsMarkOptions,
  type OvsPortOnBridgeOptions,
  ovsRemoveTag,
  ovsSetTag,
} from "./lib/primitives/ovs.ts";
export { ovsAddFlow, type OvsAddFlowOptions } from "./lib/primitives/ovs_flows.ts";
export {
  type BondLacp,
  type BondMode,
  ovsAddBond,
  type OvsAddBondOptions,
} from "./lib/primitives/ovs_bond.ts";
export { ovsAddMirror, type OvsAddMirrorOptions } from "./lib/primitives/ovs_mirror.ts";
export { ovsSetQos, type OvsSetQosOptions, type QosType } from "./lib/primitives/ovs_qos.ts";
export { ovsDumpFlows, type OvsDumpFlowsOptions, type OvsFlow } from "./lib/ovs/flows.ts";
export {
  masquerade,
  type MasqueradeOptions,
  snat,
  type SnatOptions,
} from "./lib/primitives/nat.ts";
export {
  dhcp,
  dhcp6Client,
  type Dhcp6ClientOptions,
  dhcp6Hook,
  dhcpChecksumFill,
  dhcpClient,
  type DhcpClientOnOptions,
  type DhcpClientOptions,
  dhcpHook,
  type DhcpOptions,
} from "./lib/primitives/dhcp.ts";
export {
  bgpConfig,
  type BgpNeighborOptions,
  type BgpOptions,
  type FrrDaemon,
  frrDaemon,
  type FrrDaemonOptions,
  frrRouter,
  type FrrRouterOptions,
  frrSetup,
  type FrrSetupOptions,
  ospf6Config,
  ospfConfig,
  type OspfInterface,
  type OspfOptions,
  zebraConfig,
  type ZebraOptions,
} from "./lib/primitives/frr.ts";
export {
  ovsList,
  ovsListBridges,
  ovsListPorts,
  type OvsQueryOptions,
  type OvsRecord,
  type OvsShow,
  ovsShow,
  type OvsShowBridge,
  type OvsShowPort,
} from "./lib/ovs/query.ts";
export {
  type OvsStatus,
  ovsStatus,
  releasePrivateOvs,
  type StartOvsOptions,
  startPrivateOvs,
  stopPrivateOvs,
} from "./lib/ovs/instance.ts";
export type { OvsTarget } from "./lib/ovs/target.ts";
export {
  type Environment,
  type Host,
  type OvsMode,
  readEnvironment,
  resolveHost,
} from "./lib/host.ts";
export type {
  Action,
  OvsRemoveAction,
  RecordDaemonAction,
  RemoveAction,
  RunAction,
  Step,
  StopDaemonAction,
  WriteAction,
} from "./lib/plan/step.ts";
export { Journal, type JournalEntry, type JournalRecord } from "./lib/plan/journal.ts";
export {
  Executor,
  type ExecutorOptions,
  InterruptedError,
  StepError,
} from "./lib/plan/executor.ts";
export {
  CommandError,
  type ExitStatus,
  type OutputWatch,
  type Process,
  ProcessRunner,
  type RecordedCommand,
  RecordingRunner,
  type Runner,
  type RunOptions,
  type RunResult,
  type SpawnOptions,
  type StreamMode,
  watchOutput,
} from "./lib/exec/runner.ts";
export { CheckFailedError, UsageError } from "./lib/errors.ts";
export type * from "./lib/lab/types.ts";
export {
  type DocPath,
  type LabIssue,
  LabValidationError,
  validateLab,
  type ValidateOptions,
} from "./lib/lab/validate.ts";
export type { ReachOptions } from "./lib/reach.ts";
export { UPLINK_PROTOCOLS, type UplinkProtocol } from "./lib/uplink_lan.ts";
export { labUsesIpv6, type PlanContext, planLab } from "./lib/lab/plan.ts";
export { chain, type ChainOptions, star, type StarOptions } from "./lib/lab/generate.ts";
export {
  clos,
  type ClosOptions,
  mesh,
  ring,
  type RingOptions,
  tree,
  type TreeOptions,
} from "./lib/lab/generate_fabric.ts";
export { listLabs, upLab, type UpOptions, type UpResult } from "./lib/lab/runtime.ts";
export { downLab, type DownResult } from "./lib/lab/teardown.ts";
export type { LabState } from "./lib/lab/lab_state.ts";
export type { OwnedNames, SkippedLine } from "./lib/lab/journal_check.ts";
export { type CheckContext, checkLab, type CheckResult } from "./lib/check/probes.ts";
export { junitReport, type ReportOptions, tapReport } from "./lib/check/report.ts";
export {
  type ExecResult,
  LabSession,
  openLab,
  type OpenLabOptions,
  type PingMatrix,
  type PingResult,
} from "./lib/session.ts";
export type { Finish, FinishContext } from "./lib/plan/finish.ts";
export { getRecipe, type Recipe, type RecipeOptions, recipes } from "./recipes/mod.ts";
export {
  LabFileError,
  type LabFileOptions,
  type LabFileProblem,
  loadLabFile,
  parseLabYaml,
} from "./lib/lab/file.ts";
export { type PrefixedLab, prefixLab } from "./lib/lab/prefix.ts";
export type { ClabOptions } from "./lib/lab/clab.ts";
export type { BoundFileReader } from "./lib/lab/clab_frr.ts";
