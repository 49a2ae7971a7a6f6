/** The interface as `wg show <if> dump` reports it, without the private key. */
export interface WireGuardDump {
  readonly publicKey: string;
  /** UDP port, 0 when unset. */
  readonly listenPort: number;
  readonly peers: readonly WireGuardDumpPeer[];
}

export interface WireGuardDumpPeer {
  readonly publicKey: string;
  /** `host:port`, or null when unknown. */
  readonly endpoint: string | null;
  readonly allowedIps: readonly string[];
  /** Seconds since the epoch of the latest handshake, 0 for none. */
  readonly latestHandshake: number;
  /** Bytes received and sent. */
  readonly rxBytes: number;
  readonly txBytes: number;
  /** Seconds, 0 for off. */
  readonly persistentKeepalive: number;
}

/**
 * Parses `wg show <if> dump` (wg(8): tab-separated; first line interface, one line per peer). The
 * interface's private key (first field) is dropped here so it cannot reach a log or an HTTP body.
 */
export function parseWgDump(text: string): WireGuardDump {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const head = (lines[0] ?? '').split('\t');
  const peers = lines.slice(1).map((line): WireGuardDumpPeer => {
    const f = line.split('\t');
    return {
      publicKey: f[0],
      endpoint: f[2] === '(none)' ? null : f[2],
      allowedIps: f[3] === '(none)' || !f[3] ? [] : f[3].split(','),
      latestHandshake: Number(f[4] ?? 0),
      rxBytes: Number(f[5] ?? 0),
      txBytes: Number(f[6] ?? 0),
      persistentKeepalive: f[7] === 'off' || !f[7] ? 0 : Number(f[7]),
    };
  });
  return { publicKey: head[1] ?? '', listenPort: Number(head[2] ?? 0), peers };
}
