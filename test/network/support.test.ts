import { describe, expect, it } from 'vitest';
import { decideMeshSupport, type MeshSupportProbe } from '../../network/index.js';

const full: MeshSupportProbe = {
  platform: 'linux',
  root: true,
  netAdmin: true,
  wg: '/usr/bin/wg',
  kernelWireGuard: false,
  wireguardGo: '/usr/bin/wireguard-go',
  tun: true,
};

describe('decideMeshSupport', () => {
  it('uses kernel WireGuard when the kernel has it', () => {
    expect(decideMeshSupport({ ...full, kernelWireGuard: true })).toMatchObject({
      enabled: true,
      implementation: 'kernel',
    });
  });

  it('falls back to wireguard-go when the kernel has no WireGuard', () => {
    const s = decideMeshSupport(full);
    expect(s).toMatchObject({ enabled: true, implementation: 'userspace' });
    expect(s.reason).toMatch(/wireguard-go/);
  });

  it('turns the mesh off with the reason when unprivileged, without wg, or without an implementation', () => {
    expect(decideMeshSupport({ ...full, root: false, netAdmin: false }).reason).toBe(
      'mesh off, using direct addresses: the process is not root and lacks CAP_NET_ADMIN',
    );
    expect(decideMeshSupport({ ...full, root: false }).enabled).toBe(true);
    expect(decideMeshSupport({ ...full, wg: null }).reason).toMatch(/wg \(wireguard-tools\) is not on PATH/);
    expect(decideMeshSupport({ ...full, wireguardGo: null }).reason).toMatch(/wireguard-go is not on PATH/);
    expect(decideMeshSupport({ ...full, tun: false }).reason).toMatch(/\/dev\/net\/tun is missing/);
    expect(decideMeshSupport({ ...full, platform: 'darwin' }).enabled).toBe(false);
  });

  it("honours mesh.mode 'off' and fails loudly for 'on' when the mesh cannot run", () => {
    expect(decideMeshSupport(full, 'off')).toEqual({
      enabled: false,
      implementation: null,
      reason: "mesh off: mesh.mode is 'off'",
    });
    expect(() => decideMeshSupport({ ...full, root: false, netAdmin: false }, 'on')).toThrow(
      /mesh.mode is 'on' but the process is not root/,
    );
  });
});
