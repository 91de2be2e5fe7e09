/** Console text for the backend's answers (pure, so the wording is unit-tested). */
import type { AgentStatus, QueueRow } from './backend';

export function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}

export function fmtDuration(seconds: number): string {
  let s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return [d ? `${d}d` : '', d || h ? `${h}h` : '', d || h || m ? `${m}m` : '', `${s}s`].filter(Boolean).join(' ');
}

export function formatStatus(s: AgentStatus): string[] {
  if (s.offline) {
    return [
      `no running agent: offline editing of ${s.configPath ?? '(no file)'}`,
      `AE ${s.aeTitle}; changes take effect when the agent starts or reloads`,
      ...(s.disk ? [diskLine(s)] : []),
    ];
  }
  const lines = [
    `dicom-edge ${s.version}, up ${fmtDuration(s.uptimeSeconds)} (pid ${s.pid})`,
    `AE ${s.aeTitle} listening on ${s.listening ?? '(not listening)'}`,
    `config ${s.configPath ?? '(embedded default)'}`,
    `associations: ${s.associations.length} open (max ${s.maxAssociations})`,
    ...s.associations.map((a) => `  ${a.id} ${a.callingAe || '?'} -> ${a.calledAe || '?'} from ${a.peer} (${a.state})`),
    `queue: ${s.queueDepth === null ? 'not available' : `${s.queueDepth} waiting`}`,
    s.disk ? diskLine(s) : 'disk: unknown',
    ...(s.instances !== null ? [`instances stored: ${s.instances}`] : []),
    `serial console: ${s.serial ?? 'none'}`,
  ];
  if (s.restartNeeded.length) lines.push(`restart needed for: ${s.restartNeeded.join(', ')}`);
  return lines;
}

function diskLine(s: AgentStatus): string {
  const d = s.disk!;
  const used = d.totalBytes > 0 ? Math.round((100 * (d.totalBytes - d.freeBytes)) / d.totalBytes) : 0;
  return `disk: ${d.path} ${fmtBytes(d.freeBytes)} free of ${fmtBytes(d.totalBytes)} (${used}% used)`;
}

export function formatQueue(rows: QueueRow[] | null, now = Date.now()): string[] {
  if (rows === null) return ['queue: not available (no forwarding in this agent)'];
  if (rows.length === 0) return ['queue: empty'];
  return rows.map((r) => {
    const age = r.oldest ? `, oldest ${fmtDuration(Math.max(0, (now - r.oldest) / 1000))} ago` : '';
    return `  ${r.destination.padEnd(16)} ${r.state.padEnd(10)} ${r.count}${age}`;
  });
}
