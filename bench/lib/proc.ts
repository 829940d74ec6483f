// What the machine and each process did, read from /proc (Linux): CPU time, RSS, load, so that a
// result can say how busy the machine was and with what. Returns zeros where /proc is missing.
import { readFileSync, readdirSync } from "node:fs";
import { cpus, loadavg } from "node:os";

/** Clock ticks per second for /proc/<pid>/stat (USER_HZ; 100 on every Linux Node supports). */
const HZ = 100;

/** CPU time (user + system) of one process, in ms; null if it is gone. */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces: fields start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / HZ;
  } catch {
    return null;
  }
}

/** Resident set size of a process in bytes (VmRSS); null if it is gone. */
export function processRss(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Open file descriptors of a process (best effort). */
export function processFds(pid: number): number | null {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/**
 * Connections the kernel dropped because a listening socket's accept queue was full
 * (TcpExt ListenOverflows), machine-wide since boot; null where /proc/net/netstat is missing.
 */
export function listenOverflows(): number | null {
  try {
    const lines = readFileSync("/proc/net/netstat", "utf8").split("\n").filter((l) => l.startsWith("TcpExt:"));
    const names = lines[0]?.split(" ") ?? [];
    const values = lines[1]?.split(" ") ?? [];
    const i = names.indexOf("ListenOverflows");
    return i > 0 && values[i] !== undefined ? Number(values[i]) : null;
  } catch {
    return null;
  }
}

/** Direct children of a process whose command name matches `comm`. */
export function childPids(parent: number, comm?: string): number[] {
  const found: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent && (comm === undefined || name === comm)) found.push(Number(entry));
    } catch {
      // raced with an exit
    }
  }
  return found;
}

/**
 * Machine-wide CPU time: busy and total, in ms summed over all cores; `steal`, part of busy: time a
 * virtual machine's cores were runnable but the host ran something else.
 */
export function machineCpuMs(): { busy: number; total: number; steal: number } {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice — guest time is already in user.
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = values;
    const busy = user + nice + system + irq + softirq + steal;
    return { busy: (busy * 1000) / HZ, total: ((busy + idle + iowait) * 1000) / HZ, steal: (steal * 1000) / HZ };
  } catch {
    return { busy: 0, total: 0, steal: 0 };
  }
}

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  totalMemoryGiB: number;
  node: string;
  platform: string;
  fdLimit: string;
  ephemeralPorts: string;
}

export function machineInfo(totalMemory: number, fdLimit: string): MachineInfo {
  let ephemeralPorts = "?";
  try {
    ephemeralPorts = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().replace(/\s+/, "–");
  } catch {}
  const list = cpus();
  return {
    cores: list.length,
    cpuModel: list[0]?.model ?? "?",
    totalMemoryGiB: Math.round(totalMemory / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    fdLimit,
    ephemeralPorts,
  };
}

/**
 * Watches the machine over a measurement window: the load average and how much CPU went to
 * processes other than ours (`ours()` lists the pids of the bench, its clients and the server).
 */
export class LoadWatch {
  private readonly machineStart = machineCpuMs();
  private readonly oursStart = new Map<number, number>();
  private readonly startedAt = performance.now();
  readonly loadBefore = loadavg()[0]!;
  private readonly pids: number[];
  private readonly lastSeen = new Map<number, number>();

  constructor(pids: readonly number[]) {
    this.pids = [...pids];
    for (const pid of pids) this.oursStart.set(pid, processCpuMs(pid) ?? 0);
  }

  /** A process started during the window (W6's new server): all of its CPU time falls in it. */
  add(pid: number): void {
    if (this.pids.includes(pid)) return;
    this.pids.push(pid);
    this.oursStart.set(pid, 0);
  }

  /** Reads every watched process now: one that exits before finish() counts up to its last reading. */
  sample(): void {
    for (const pid of this.pids) {
      const used = processCpuMs(pid);
      if (used !== null) this.lastSeen.set(pid, used);
    }
  }

  /** Call at the end of the window, while every watched process is still alive (or was sampled). */
  finish(): WindowLoad {
    const machine = machineCpuMs();
    const elapsed = performance.now() - this.startedAt;
    const perProcess: Record<number, number> = {};
    let ours = 0;
    for (const pid of this.pids) {
      const used = (processCpuMs(pid) ?? this.lastSeen.get(pid) ?? this.oursStart.get(pid) ?? 0) - (this.oursStart.get(pid) ?? 0);
      perProcess[pid] = used;
      ours += used;
    }
    const busy = machine.busy - this.machineStart.busy;
    const cores = cpus().length;
    return {
      seconds: elapsed / 1000,
      loadavg1: [this.loadBefore, loadavg()[0]!],
      machineCpuPercent: pct(busy, elapsed),
      oursCpuPercent: pct(ours, elapsed),
      // Whatever the machine did besides us; clamped, since tick rounding can go slightly negative.
      otherCpuPercent: Math.max(0, pct(busy - ours, elapsed)),
      stealCpuPercent: pct(machine.steal - this.machineStart.steal, elapsed),
      capacityPercent: cores * 100,
      perProcessCpuMs: perProcess,
    };
  }
}

export interface WindowLoad {
  seconds: number;
  /** 1-minute load average at the start and the end of the window. */
  loadavg1: [number, number];
  /** CPU used, in % of one core (200 = both cores of a 2-core machine busy). */
  machineCpuPercent: number;
  oursCpuPercent: number;
  otherCpuPercent: number;
  /** Of the other CPU: steal, the host's (other guests of a virtual machine), not this machine's processes. */
  stealCpuPercent: number;
  capacityPercent: number;
  perProcessCpuMs: Record<number, number>;
}

function pct(cpuMs: number, wallMs: number): number {
  return wallMs > 0 ? Math.round((cpuMs / wallMs) * 1000) / 10 : 0;
}

/** One load over several windows (the turns of one server in W1 and W2): time and CPU summed. */
export function mergeLoads(loads: readonly WindowLoad[]): WindowLoad {
  const seconds = loads.reduce((n, l) => n + l.seconds, 0);
  const weighted = (pick: (l: WindowLoad) => number) =>
    seconds > 0 ? Math.round((loads.reduce((n, l) => n + pick(l) * l.seconds, 0) / seconds) * 10) / 10 : 0;
  const perProcessCpuMs: Record<number, number> = {};
  for (const load of loads) {
    for (const [pid, ms] of Object.entries(load.perProcessCpuMs)) perProcessCpuMs[Number(pid)] = (perProcessCpuMs[Number(pid)] ?? 0) + ms;
  }
  const all = loads.flatMap((l) => l.loadavg1);
  return {
    seconds,
    loadavg1: [Math.min(...all), Math.max(...all)],
    machineCpuPercent: weighted((l) => l.machineCpuPercent),
    oursCpuPercent: weighted((l) => l.oursCpuPercent),
    otherCpuPercent: weighted((l) => l.otherCpuPercent),
    stealCpuPercent: weighted((l) => l.stealCpuPercent),
    capacityPercent: loads[0]?.capacityPercent ?? 0,
    perProcessCpuMs,
  };
}
