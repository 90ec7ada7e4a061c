// Summarizes a V8 CPU profile (node --cpu-prof, as `pnpm bench --cpu-prof` writes for the server):
// self time by package or area and by function, so a figure's bound can be named with evidence.
//   pnpm --filter @openv/bench profile:summary <file.cpuprofile> [top]
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** "prisma-client", "pg", "node:internal", "openv server"… from a script URL. */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native or builtin)";
  if (url.startsWith("node:")) return "node internals";
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pnpm?.[1]) return pnpm[1];
  const plain = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (plain?.[1]) return plain[1];
  if (url.includes("/packages/server/")) return "@openv/server";
  if (url.includes("/packages/protocol/")) return "@openv/protocol";
  return url.replace(/^file:\/\//, "");
}

export function summarizeProfile(profile: Profile, top = 25): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  // Native and Node-internal work (socket writes, JSON, timers) is charged to the nearest package
  // up the stack that asked for it: "pg" includes the writev syscalls of its queries.
  const callerAreaOf = (id: number): string => {
    for (let current: number | undefined = id; current !== undefined; current = parentOf.get(current)) {
      const frame = byId.get(current)?.callFrame;
      if (!frame) break;
      const area = areaOf(frame.url, frame.functionName);
      if (area !== "node internals" && area !== "(native or builtin)") return area;
    }
    return areaOf(byId.get(id)?.callFrame.url ?? "", byId.get(id)?.callFrame.functionName ?? "");
  };
  const callerAreas = new Map<string, number>();
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const [id, micros] of selfMicros) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    total += micros;
    const area = areaOf(frame.url, frame.functionName);
    areas.set(area, (areas.get(area) ?? 0) + micros);
    const caller = callerAreaOf(id);
    callerAreas.set(caller, (callerAreas.get(caller) ?? 0) + micros);
    const name = `${frame.functionName || "(anonymous)"}  ${area}${frame.url ? `:${frame.lineNumber + 1}` : ""}`;
    functions.set(name, (functions.get(name) ?? 0) + micros);
  }
  const busy = total - (areas.get("(idle)") ?? 0);
  const lines = (map: Map<string, number>) =>
    [...map.entries()]
      .filter(([name]) => !name.startsWith("(idle)"))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([name, micros]) =>
          `${((micros / busy) * 100).toFixed(1).padStart(5)} %  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${name}`,
      );
  return [
    `profile: ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s, busy (not idle) ${(busy / 1e6).toFixed(1)} s`,
    "",
    "self time by package / area (share of busy time):",
    ...lines(areas),
    "",
    "the same, native and Node-internal work charged to the package that called it:",
    ...lines(callerAreas),
    "",
    "self time by function:",
    ...lines(functions),
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    process.stderr.write("usage: profile-summary <file.cpuprofile> [top]\n");
    process.exit(1);
  }
  const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
  process.stdout.write(`${summarizeProfile(profile, top ? Number(top) : 25)}\n`);
}
