import type { Ec2Instance } from './instance-store.js';

/** The XML namespace of EC2 API version 2016-11-15, the one the SDK sends. */
export const EC2_XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

export function escapeXml(s: string): string {
  return s.replace(
    /[<>&'"]/g,
    (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' }[c]};`,
  );
}

function el(name: string, value: string | number | undefined): string {
  return value === undefined ? '' : `<${name}>${escapeXml(String(value))}</${name}>`;
}

export const STATE_CODES = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
} as const;
export type Ec2StateName = keyof typeof STATE_CODES;

export function stateXml(tag: string, state: Ec2StateName): string {
  return `<${tag}><code>${STATE_CODES[state]}</code><name>${state}</name></${tag}>`;
}

/** One `<item>` of an `instancesSet`, with the fields the SDK's `Instance` shape maps. */
export function instanceXml(i: Ec2Instance, state: Ec2StateName): string {
  const tags = i.tags.map((t) => `<item>${el('key', t.key)}${el('value', t.value)}</item>`).join('');
  const groups = i.securityGroupIds
    .map((g) => `<item>${el('groupId', g)}${el('groupName', g)}</item>`)
    .join('');
  const live = state !== 'terminated';
  return (
    '<item>' +
    el('instanceId', i.id) +
    el('imageId', i.imageId) +
    stateXml('instanceState', state) +
    el('privateDnsName', live ? `ip-${i.privateIp.replaceAll('.', '-')}.ec2.internal` : '') +
    el('dnsName', '') +
    el('keyName', i.keyName) +
    el('amiLaunchIndex', 0) +
    el('instanceType', i.instanceType) +
    el('launchTime', new Date(i.launchedAt).toISOString()) +
    `<placement>${el('availabilityZone', i.zone)}${el('tenancy', 'default')}</placement>` +
    el('subnetId', live ? i.subnetId : undefined) +
    el('vpcId', live ? 'vpc-0fa4e1b2c3d4e5f60' : undefined) +
    el('privateIpAddress', live ? i.privateIp : undefined) +
    el('ipAddress', live && state === 'running' ? i.publicIp : undefined) +
    `<groupSet>${groups}</groupSet>` +
    `<tagSet>${tags}</tagSet>` +
    el('clientToken', i.clientToken) +
    el('architecture', 'x86_64') +
    el('rootDeviceType', 'ebs') +
    '</item>'
  );
}

export function responseXml(action: string, requestId: string, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_XMLNS}">${el('requestId', requestId)}${body}</${action}Response>`;
}

/** EC2's error document: `<Response><Errors><Error><Code>…` with `<RequestID>`. */
export function errorXml(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>${el('Code', code)}${el('Message', message)}</Error></Errors>${el('RequestID', requestId)}</Response>`;
}
