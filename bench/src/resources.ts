import { readdirSync, readFileSync } from "node:fs";

// Linux's USER_HZ: /proc reports CPU time in these ticks (100 on every mainstream distribution).
const ticksPerSecond = 100;

/** Resident memory of a process in KiB (VmRSS in /proc/<pid>/status), or null when it is gone. */
export function rssKiB(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match?.[1] ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/**
 * User + system CPU time of a process in ms, or 0 when it is gone; with `exitedChildren`, plus
 * that of its children that have exited (and been waited for).
 */
export function processCpuMs(pid: number, exitedChildren = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not:
    // index 11 and 12 are utime and stime, 13 and 14 cutime and cstime.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const own = Number(fields[11]) + Number(fields[12]);
    const children = exitedChildren ? Number(fields[13]) + Number(fields[14]) : 0;
    return ((own + children) * 1000) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/**
 * CPU time of a PostgreSQL cluster: the postmaster, every backend it forked that still runs, and
 * those that ended (a pool closing idle connections ends backends; their time moves to the
 * postmaster's children total), so the sum only grows.
 */
export function clusterCpuMs(postmasterPid: number): number {
  let total = processCpuMs(postmasterPid, true);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === postmasterPid) total += processCpuMs(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}

/** Busy and total CPU time of the whole machine in ms (all cores), from /proc/stat. */
export function machineCpuMs(): { busy: number; total: number; iowait: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = values;
  const busy = user + nice + system + irq + softirq + steal;
  const toMs = (ticks: number) => (ticks * 1000) / ticksPerSecond;
  return { busy: toMs(busy), total: toMs(busy + idle + iowait), iowait: toMs(iowait) };
}

/** The processes whose CPU time a run is charged with. */
export interface CpuSubjects {
  /** The process under test (reference server or floor). */
  server: number;
  /** The RunPod stand-in, when the scenario uses it. */
  standIn?: number | undefined;
  /** The PostgreSQL postmaster, when the cluster is the bench's own. */
  postmaster?: number | null | undefined;
}

/** CPU spent during a run, in ms, per party; null where it could not be read. */
export interface CpuUsage {
  server: number;
  postgres: number | null;
  standIn: number | null;
  loadGenerator: number;
  machineBusy: number;
  machineTotal: number;
  machineIowait: number;
}

/** Starts measuring; the returned function gives the CPU spent since. */
export function measureCpu(subjects: CpuSubjects): () => CpuUsage {
  const read = () => ({
    server: processCpuMs(subjects.server),
    postgres: subjects.postmaster ? clusterCpuMs(subjects.postmaster) : null,
    standIn: subjects.standIn ? processCpuMs(subjects.standIn) : null,
    loadGenerator: cpuOfThisProcessMs(),
    machine: machineCpuMs(),
  });
  const before = read();
  return () => {
    const after = read();
    const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);
    return {
      server: after.server - before.server,
      postgres: delta(before.postgres, after.postgres),
      standIn: delta(before.standIn, after.standIn),
      loadGenerator: after.loadGenerator - before.loadGenerator,
      machineBusy: after.machine.busy - before.machine.busy,
      machineTotal: after.machine.total - before.machine.total,
      machineIowait: after.machine.iowait - before.machine.iowait,
    };
  };
}

function cpuOfThisProcessMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}
