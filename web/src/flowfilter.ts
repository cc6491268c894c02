// Flow-details filters: the URL keeps them exactly as the API takes them
// (filter=FIELD OP VALUE, repeated), so a link reproduces the view.

export interface FlowFilter {
  field: string;
  op: '=' | '!=' | '~';
  value: string;
}

export const FILTER_FIELDS: { field: string; label: string; hint: string }[] = [
  { field: 'remote_ip', label: 'Remote IP', hint: 'address, CIDR, public or private' },
  { field: 'instance', label: 'EC2 instance', hint: 'i-…' },
  { field: 'local_port', label: 'Local port', hint: '22 or 1024-65535' },
  { field: 'remote_port', label: 'Remote port', hint: '443 or 1024-65535' },
  { field: 'direction', label: 'Direction', hint: 'inbound, outbound' },
  { field: 'protocol', label: 'Protocol', hint: 'tcp, udp, icmp or a number' },
  { field: 'action', label: 'Accept/reject', hint: 'accept or reject' },
];

const RE = /^([a-z_]+)\s*(!=|=|~)\s*(.*)$/s;

export function parseFilter(s: string): FlowFilter | null {
  const m = RE.exec(s.trim());
  if (!m) return null;
  return { field: m[1], op: m[2] as FlowFilter['op'], value: m[3].trim() };
}

export function formatFilter(f: FlowFilter): string {
  return f.field + f.op + f.value;
}

/** validFilter says whether a filter is complete and plausible before it is sent. */
export function validFilter(f: FlowFilter): string | null {
  const v = f.value.trim();
  if (!v) return 'a value is needed';
  switch (f.field) {
    case 'local_port':
    case 'remote_port': {
      const m = /^(\d+)(?:-(\d+))?$/.exec(v);
      if (!m) return 'a port or a range like 1024-65535';
      const a = +m[1];
      const b = m[2] ? +m[2] : a;
      if (a > 65535 || b > 65535 || b < a) return 'ports are 0–65535, low-high';
      return null;
    }
    case 'direction':
      return f.op === '~' || /^(inbound|outbound|unknown)$/i.test(v) ? null : 'inbound, outbound or unknown';
    case 'action':
      return f.op === '~' || /^(accept|reject)$/i.test(v) ? null : 'accept or reject';
    case 'remote_ip':
      if (f.op === '~' || /^(public|private)$/i.test(v)) return null;
      return isIPOrCIDR(v) ? null : 'an IP address, a CIDR block, public or private';
  }
  return null;
}

export function isIPOrCIDR(s: string): boolean {
  const [addr, bits, extra] = s.split('/');
  if (extra !== undefined) return false;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return false;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  if (v4) return v4.slice(1).every((x) => +x <= 255) && (bits === undefined || +bits <= 32);
  if (addr.includes(':') && /^[0-9a-fA-F:.]+$/.test(addr) && (addr.match(/::/g) ?? []).length <= 1) {
    return bits === undefined || +bits <= 128;
  }
  return false;
}

/** rowLabel names a flow row the way the table shows it. */
export function rowLabel(id: string): string {
  const parts = id.split('|');
  if (parts.length !== 5) return id;
  const [remote, lp, rp, proto, dir] = parts;
  const who = remote.startsWith('instance=') ? remote.slice(9) : remote;
  const pname = { '6': 'TCP', '17': 'UDP', '1': 'ICMP', '58': 'ICMPv6' }[proto] ?? proto;
  return `${who} ${lp}→${rp} ${pname} ${dir}`;
}
