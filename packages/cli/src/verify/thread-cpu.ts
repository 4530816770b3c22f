/**
 * CPU time per thread of this process, for MULTIMAIL_THREAD_STATS: Linux only (/proc), null
 * elsewhere. Event-loop busy shares say whether a thread waited; they do not show the threads
 * Node starts on its own (V8's optimizing compiler and garbage collector helpers, libuv's pool),
 * which with two verifying threads take CPU the verifiers would otherwise have.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Linux reports thread times in clock ticks of USER_HZ, which is 100 on every Linux ABI Node runs on. */
const TICKS_PER_SECOND = 100;

/** The kernel's id of the calling thread (a worker's differs from the process id), or null. */
export function currentThreadId(): number | null {
  try {
    // "/proc/thread-self" links to "PID/task/TID"
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) of every live thread of this process, by thread id; null off Linux. */
export function threadCpuSeconds(): Map<number, number> | null {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return null;
  }
  const out = new Map<number, number>();
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
      // fields after the command name, which may itself hold spaces and parentheses
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/**
 * "main 2.50, workers 2.35, other threads 1.05": the calling thread, the verification workers (by
 * their ids) and everything else; null when the times cannot be read.
 */
export function describeThreadCpu(workerIds: Array<number | null>): string | null {
  const cpu = threadCpuSeconds();
  if (!cpu) return null;
  // the calling thread, which is the process's first thread except when the CLI runs embedded
  const main = cpu.get(currentThreadId() ?? process.pid) ?? 0;
  let workers = 0;
  for (const id of workerIds) if (id !== null) workers += cpu.get(id) ?? 0;
  let all = 0;
  for (const s of cpu.values()) all += s;
  const parts = [`main ${main.toFixed(2)}`];
  if (workerIds.length) parts.push(`workers ${workers.toFixed(2)}`);
  parts.push(`other threads ${(all - main - workers).toFixed(2)}`);
  return parts.join(', ');
}
