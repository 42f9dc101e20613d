import { describe, expect, it } from 'vitest';
import {
  STRICT_TARGET_POLICY,
  categoryAllowed,
  checkWebhookUrl,
  classifyAddress,
  parseIPv6,
  type AddressCategory,
  type TargetPolicy,
} from './ssrf.ts';

describe('classifyAddress', () => {
  it.each<[string, AddressCategory]>([
    // IPv4
    ['93.184.216.34', 'public'],
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['100.63.255.255', 'public'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['100.128.0.0', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['172.15.255.255', 'public'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.0', 'public'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['192.168.1.1', 'private'],
    ['198.18.0.1', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    // IPv6
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['2606:4700:4700::1111', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved'], // Teredo
    ['100::1', 'reserved'],
    ['3fff::1', 'public'],
    ['4000::1', 'reserved'],
    // IPv4 inside IPv6: judged by the IPv4 address
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['[::ffff:7f00:1]', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::ffff:93.184.216.34', 'public'],
    ['::127.0.0.1', 'loopback'],
    ['::10.0.0.1', 'private'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['64:ff9b::808:808', 'public'],
    ['64:ff9b:1::1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:c0a8:101::1', 'private'],
    ['2002:5db8:d822::1', 'public'],
  ])('%s is %s', (address, category) => {
    expect(classifyAddress(address)).toBe(category);
  });

  it.each(['example.com', '', '1.2.3', '256.1.1.1', '::g', '1:2:3:4:5:6:7:8:9', 'localhost'])(
    '%s is not an address',
    (text) => {
      expect(classifyAddress(text)).toBeNull();
    },
  );

  it('parses compressed and embedded IPv6 forms to 16 bytes', () => {
    expect(parseIPv6('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]);
    expect(parseIPv6('1::')).toEqual([0, 1, ...new Array<number>(14).fill(0)]);
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toEqual([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
  });
});

describe('categoryAllowed', () => {
  const all: TargetPolicy = { allowLoopback: true, allowPrivateNetworks: true, allowLinkLocal: true };
  it('allows only public addresses by default', () => {
    expect(categoryAllowed('public', STRICT_TARGET_POLICY)).toBe(true);
    for (const category of ['private', 'loopback', 'link-local', 'unspecified', 'multicast', 'reserved'] as const) {
      expect(categoryAllowed(category, STRICT_TARGET_POLICY)).toBe(false);
    }
  });

  it('opens each relaxable category with its own setting, and never the others', () => {
    expect(categoryAllowed('loopback', { ...STRICT_TARGET_POLICY, allowLoopback: true })).toBe(true);
    expect(categoryAllowed('private', { ...STRICT_TARGET_POLICY, allowLoopback: true })).toBe(false);
    expect(categoryAllowed('private', { ...STRICT_TARGET_POLICY, allowPrivateNetworks: true })).toBe(true);
    expect(categoryAllowed('link-local', { ...STRICT_TARGET_POLICY, allowPrivateNetworks: true })).toBe(false);
    expect(categoryAllowed('link-local', { ...STRICT_TARGET_POLICY, allowLinkLocal: true })).toBe(true);
    for (const category of ['unspecified', 'multicast', 'reserved'] as const) {
      expect(categoryAllowed(category, all)).toBe(false);
    }
  });
});

describe('checkWebhookUrl', () => {
  it('accepts and normalises public http(s) URLs and host names', () => {
    expect(checkWebhookUrl('https://Hooks.Example.com/parlo?x=1', STRICT_TARGET_POLICY)).toEqual({
      ok: true,
      url: 'https://hooks.example.com/parlo?x=1',
    });
    expect(checkWebhookUrl('http://93.184.216.34:8080/in', STRICT_TARGET_POLICY)).toMatchObject({ ok: true });
  });

  it.each<[string, string]>([
    ['not a url', 'format'],
    ['/relative/path', 'format'],
    ['ftp://example.com/x', 'scheme'],
    ['javascript:alert(1)', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['https://user:pass@example.com/x', 'credentials'],
    ['https://user@example.com/x', 'credentials'],
    ['https://example.com/x#frag', 'fragment'],
    [`https://example.com/${'a'.repeat(2048)}`, 'maxLength'],
  ])('%s is invalid (%s)', (url, rule) => {
    expect(checkWebhookUrl(url, STRICT_TARGET_POLICY)).toMatchObject({
      ok: false,
      code: 'PARLO_WEBHOOK_URL_INVALID',
      rule,
    });
  });

  it.each<[string, string]>([
    ['http://127.0.0.1:8080/x', 'loopback'],
    ['http://localhost/x', 'loopback'],
    ['http://api.localhost/x', 'loopback'],
    ['http://[::1]/x', 'loopback'],
    ['http://[::ffff:127.0.0.1]/x', 'loopback'],
    ['http://2130706433/x', 'loopback'], // 127.0.0.1 as one number: the URL parser normalises it
    ['http://0x7f.1/x', 'loopback'],
    ['http://10.0.0.5/x', 'private'],
    ['http://192.168.0.10/x', 'private'],
    ['http://[fd00::1]/x', 'private'],
    ['http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['http://[fe80::1]/x', 'link-local'],
    ['http://0.0.0.0/x', 'unspecified'],
    ['http://224.0.0.1/x', 'multicast'],
  ])('%s is forbidden (%s)', (url, rule) => {
    const checked = checkWebhookUrl(url, STRICT_TARGET_POLICY);
    expect(checked).toMatchObject({ ok: false, code: 'PARLO_WEBHOOK_URL_FORBIDDEN', rule });
  });

  it('names the setting that would allow a refused target', () => {
    const checked = checkWebhookUrl('http://127.0.0.1/x', STRICT_TARGET_POLICY);
    expect(checked.ok ? '' : checked.message).toContain('webhooks.allowLoopback');
    const metadata = checkWebhookUrl('http://0.0.0.0/x', STRICT_TARGET_POLICY);
    expect(metadata.ok ? '' : metadata.message).toContain('never');
  });

  it('allows loopback when configured, and only loopback', () => {
    const policy = { ...STRICT_TARGET_POLICY, allowLoopback: true };
    expect(checkWebhookUrl('http://127.0.0.1:9/x', policy)).toMatchObject({ ok: true });
    expect(checkWebhookUrl('http://localhost:9/x', policy)).toMatchObject({ ok: true });
    expect(checkWebhookUrl('http://10.0.0.1/x', policy)).toMatchObject({ ok: false, rule: 'private' });
  });
});
